// Command lambdascan scans Lambda deployment packages for known
// vulnerabilities and manages the local OSV index.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/lambdascan/lambdascan/shared/scancli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage:
  lambdascan scan [--db FILE] [--format table|json|sarif|cyclonedx|spdx] [--output FILE]
                  [--fail-on low|medium|high|critical] [--ignore-unknown] [--severity LIST] [--only-reachable]
                  [--platform os/arch] [--layer ZIP|LAYER_ARN]... TARGET
      TARGET: a zip, a directory, an image tarball (docker save), an OCI layout directory,
              an image reference (registry/repo:tag, @sha256:...), a function ARN or a layer
              version ARN; ARNs and ECR images use AWS credentials from the environment
  lambdascan db build --from DIR|URL [--from ...] [--ecosystems a,b] --out FILE
      a --from DIR may also hold feeds: nvd/*.json (NVD CVE API 2.0 pages),
      kev/known_exploited_vulnerabilities.json (CISA KEV), epss/*.csv[.gz] (FIRST EPSS)
  lambdascan db info [FILE]
  lambdascan db update [--from URL] [--ecosystems a,b] [--out FILE]
  lambdascan bulk start [--accounts a,b] [--regions r1,r2] [--exclude glob,...] [--organization] [--force] [--no-tags] [--wait]
  lambdascan status [-n 10]
  lambdascan replay [--since 24h] [--dry-run]
  lambdascan affected [--format table|json] <CVE|GHSA|GO|PYSEC…-ID | package[@version|@<range>] | purl | layer version ARN>
  lambdascan findings [--function F] [--severity LIST] [--kev] [--format table|json]
  lambdascan version
`

// Exit codes: 0 nothing at or above --fail-on, 1 something is, 2 error.
const (
	exitOK       = scancli.ExitOK
	exitFindings = scancli.ExitFindings
	exitError    = scancli.ExitError
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError
	}
	switch args[0] {
	case "scan":
		return cmdScan(ctx, args[1:], stdout, stderr)
	case "db":
		return cmdDB(ctx, args[1:], stdout, stderr)
	case "bulk":
		return cmdBulk(ctx, args[1:], stdout, stderr)
	case "status":
		return cmdStatus(ctx, args[1:], stdout, stderr)
	case "replay":
		return cmdReplay(ctx, args[1:], stdout, stderr)
	case "affected", "findings":
		return runRemoteCommand(ctx, args[0], args[1:], stdout, stderr)
	case "version", "--version":
		return cmdVersion(stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "lambdascan: unknown command %q\n%s", args[0], usage)
	return exitError
}
