// Package scancli is the `scan` command shared by the two CLI binaries:
// `lambdascan` scans zips and directories itself and hands images and
// deployed functions (ARNs) to `lambdascan-remote`, which links the image
// and AWS code a zip scan has no use for (a process maps what it links:
// keeping it out keeps a zip scan's memory small). Both parse the same
// flags and write reports and exit codes the same way.
package scancli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// Exit codes.
const (
	ExitOK       = 0 // no finding at or above --fail-on
	ExitFindings = 1
	ExitError    = 2 // the scan could not run or failed
)

// Request is what `scan` was asked for.
type Request struct {
	Target   string   // "" when only layers are given
	Layers   []string // zips or layer version ARNs
	Platform string   // os/arch[/variant] for image indexes
	DBPath   string
	Format   string
	Output   string
	FailOn   string
	Quiet    bool // the findings table only
	// IgnoreUnknown: findings of unknown severity do not fail --fail-on.
	IgnoreUnknown bool
	Severities    []string // --severity: only these levels (trivy's semantics)
	OnlyReachable bool     // hide Go findings below symbol reachability
}

// Scanner scans the request's target with the open DB; tmp is scratch space.
type Scanner func(ctx context.Context, db *vulndb.DB, req Request, tmp string) (*report.Report, error)

// ScanHelp is `scan --help`, the same in both binaries.
var ScanHelp = Help{
	Usage: "lambdascan scan [flags] TARGET",
	Short: "Scan a Lambda deployment package, layer, container image or deployed function for known vulnerabilities.",
	Sections: []Section{
		{"TARGET", `  app.zip                    a deployment package zip (a zip holding only the /opt layout is a layer zip)
  ./app/                     an unpacked package directory
  image.tar                  a container image saved with ` + "`docker save`" + `
  ./oci-layout/              an OCI image layout directory
  REPO:TAG, REPO@sha256:...  a registry image (ECR with AWS credentials, others with the Docker config)
  arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]  a deployed function: its zip and layers, or its image
  arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION          a layer version
  (none, with --layer)       the layers alone
  ARNs and ECR images use AWS credentials from the environment.`},
		{"Formats (--format)", `  table      findings grouped by package (default; colour on a terminal unless NO_COLOR is set)
  json       the lambdascan.report/v1 report
  sarif      SARIF 2.1.0 for code-scanning dashboards
  cyclonedx  CycloneDX 1.6 SBOM with vulnerabilities
  spdx       SPDX 2.3 SBOM
  html       one self-contained HTML page (no external assets)`},
		{"Exit codes", ExitCodes},
		{"Environment", `  LAMBDASCAN_DB      default --db
  LAMBDASCAN_REMOTE  the lambdascan-remote binary (images and ARNs)
  NO_COLOR           no colour in the table`},
	},
	Examples: []string{
		"lambdascan scan function.zip",
		"lambdascan scan --format html --output report.html function.zip --layer layer.zip",
		"lambdascan scan --fail-on high --quiet ./build/",
		"lambdascan scan --platform linux/arm64 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1",
		"lambdascan scan --format cyclonedx --output sbom.json arn:aws:lambda:eu-west-1:123456789012:function:billing",
	},
}

// Parse reads `scan` arguments (flags may follow the target). When ok is
// false the command ends with code (0 after --help).
func Parse(name string, args []string, stdout, stderr io.Writer) (req Request, code int, ok bool) {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.StringVar(&req.DBPath, "db", DefaultDBPath(), "the vulnerability DB `FILE` (see lambdascan db update, db build)")
	fs.StringVar(&req.Format, "format", report.FormatTable, "report `FORMAT`: "+strings.Join(report.Formats, "|"))
	fs.StringVar(&req.Output, "output", "", "write the report to `FILE` instead of standard output")
	fs.StringVar(&req.FailOn, "fail-on", match.LevelLow, "exit 1 when a finding is at or above `LEVEL`: low|medium|high|critical (a finding of unknown severity counts at every level)")
	fs.BoolVar(&req.IgnoreUnknown, "ignore-unknown", false, "findings of unknown severity do not count for --fail-on")
	severity := fs.String("severity", "", "show only findings of these `LEVELS`, comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL (default all)")
	fs.BoolVar(&req.OnlyReachable, "only-reachable", false, "hide Go findings whose vulnerable functions are not in the binary (below symbol level); the report says how many")
	fs.StringVar(&req.Platform, "platform", "", "`OS/ARCH` to pick from a multi-platform image (default linux/amd64; an ARN: the function's architecture)")
	var layers MultiFlag
	fs.Var(&layers, "layer", "attach a layer, `ZIP|LAYER_ARN` (repeatable); alone, the layers are the target")
	fs.BoolVar(&req.Quiet, "quiet", false, "print only the findings table (nothing when there are none); errors still go to stderr")
	pos, code, ok := Flags(name, ScanHelp, fs, args, stdout, stderr)
	if !ok {
		return req, code, false
	}
	req.Layers = layers
	req.FailOn = strings.ToLower(req.FailOn)
	var sevErr error
	req.Severities, sevErr = report.ParseSeverities(*severity)
	switch {
	case sevErr != nil:
		fmt.Fprintf(stderr, "%s: --severity: %v\n", name, sevErr)
		return req, ExitError, false
	case len(pos) > 1 || (len(pos) == 0 && len(layers) == 0):
		fmt.Fprintf(stderr, "%s: exactly one TARGET (a zip, a directory, an image tarball, an OCI layout, an image reference or a function ARN) is required, or --layer alone\nRun '%s --help' for usage.\n", name, name)
		return req, ExitError, false
	case !slices.Contains(report.Formats, req.Format):
		fmt.Fprintln(stderr, BadValue(name, "format", req.Format, report.Formats))
		return req, ExitError, false
	case match.Rank(req.FailOn) < 1:
		fmt.Fprintln(stderr, BadValue(name, "fail-on", req.FailOn, []string{match.LevelLow, match.LevelMedium, match.LevelHigh, match.LevelCritical}))
		return req, ExitError, false
	}
	if len(pos) == 1 {
		req.Target = pos[0]
	}
	return req, ExitOK, true
}

// Run opens the DB, scans, writes the report and returns the exit code. A
// failed scan prints only its named error, on stderr (with --format json
// and --output, the failure report is still written to the file).
func Run(ctx context.Context, name string, req Request, scan Scanner, stdout, stderr io.Writer) int {
	db, err := OpenDB(req.DBPath)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitError
	}
	defer db.Close()
	tmp, err := os.MkdirTemp("", "lambdascan-scan-")
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitError
	}
	defer os.RemoveAll(tmp)
	r, err := scan(ctx, db, req, tmp)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitError
	}
	// Filters come before the exit code, as in trivy: what is not shown
	// does not fail the run.
	if req.OnlyReachable {
		r.OnlyReachable()
	}
	r.FilterSeverity(req.Severities)
	failed := r.Status == report.StatusFailed
	if !failed || (req.Output != "" && req.Format == report.FormatJSON) {
		if err := writeReport(r, req, stdout); err != nil {
			fmt.Fprintf(stderr, "%s: writing report: %v\n", name, err)
			return ExitError
		}
	}
	if failed {
		fmt.Fprintf(stderr, "%s: %s: %s: %s\n", name, r.Describe(), r.Error.Name, r.Error.Message)
		return ExitError
	}
	if r.AtOrAbove(req.FailOn, req.IgnoreUnknown) {
		return ExitFindings
	}
	return ExitOK
}

func writeReport(r *report.Report, req Request, stdout io.Writer) error {
	out := stdout
	if req.Output != "" {
		f, err := os.Create(req.Output)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	if req.Format != report.FormatTable {
		return report.Write(out, r, req.Format)
	}
	opt := report.TableOptions{Quiet: req.Quiet}
	if out == stdout {
		opt.Color, opt.Width = Terminal(stdout)
	}
	return report.WriteTableWith(out, r, opt)
}

// Layer is a --layer value as a local zip: Name labels it in the report
// (the ARN when it came from AWS).
type Layer struct{ Zip, Name, CodeSha256 string }

// ScanZip scans zip (a zip or directory) with its layers under tgt; with
// zip "" the layers are the target. tgt's Kind and Path default to what
// zip is.
func ScanZip(ctx context.Context, db *vulndb.DB, tgt report.Target, zip string, layers []Layer) *report.Report {
	var sources []inventory.Source
	switch {
	case zip == "":
		tgt.Kind = KindLayer
	case tgt.Kind == "":
		tgt.Kind, tgt.Path = KindOf(zip), zip
	}
	if zip != "" {
		src := inventory.Source{Path: zip}
		if len(layers) > 0 {
			src.Origin = inventory.Origin{Kind: inventory.OriginFunction}
		}
		sources = append(sources, src)
	}
	for _, l := range layers {
		sources = append(sources, inventory.Source{Path: l.Zip, Origin: inventory.Origin{Kind: inventory.OriginLayer, Layer: l.Name}})
		tgt.Layers = append(tgt.Layers, report.Layer{ARN: l.Name, CodeSha256: l.CodeSha256})
	}
	return scan.Run(ctx, db, tgt, sources, scan.Options{})
}

// Target kinds: the report's.
const (
	KindZip       = report.KindZip
	KindDirectory = report.KindDirectory
	KindImage     = report.KindImage    // tarball, OCI layout or registry reference
	KindFunction  = report.KindFunction // a function ARN
	KindLayer     = report.KindLayer    // a layer version ARN
)

// KindOf classifies a TARGET or --layer value.
func KindOf(target string) report.Kind {
	if strings.HasPrefix(target, "arn:") {
		if f := strings.Split(target, ":"); len(f) > 5 && f[5] == "layer" {
			return KindLayer
		}
		return KindFunction
	}
	if st, err := os.Stat(target); err == nil {
		if st.IsDir() {
			if _, err := os.Stat(filepath.Join(target, "oci-layout")); err == nil {
				return KindImage
			}
			return KindDirectory
		}
		if isTar(target) {
			return KindImage
		}
		return KindZip
	}
	// A missing path is a file the user mistyped, unless it names a
	// registry host ("public.ecr.aws/...", "localhost:5000/...") or a tag
	// or digest ("python:3.12", "app@sha256:...").
	first, _, hasSlash := strings.Cut(target, "/")
	if (hasSlash && strings.ContainsAny(first, ".:")) || strings.Contains(target, "@sha256:") ||
		(!hasSlash && strings.Contains(target, ":") && !strings.ContainsAny(target, `\ `)) {
		return KindImage
	}
	return KindZip
}

// Remote says whether the request needs lambdascan-remote: an image, or a
// function or layer that must first be fetched from AWS.
func Remote(req Request) bool {
	for _, l := range req.Layers {
		if KindOf(l) == KindLayer {
			return true
		}
	}
	if req.Target == "" {
		return false
	}
	switch KindOf(req.Target) {
	case KindImage, KindFunction, KindLayer:
		return true
	}
	return false
}

// isTar: a ustar header's magic sits at offset 257.
func isTar(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 262)
	if _, err := io.ReadFull(f, b); err != nil {
		return false
	}
	return string(b[257:262]) == "ustar"
}

// DefaultDBPath is where `db update` writes: $LAMBDASCAN_DB, else the user cache.
func DefaultDBPath() string {
	if p := os.Getenv("LAMBDASCAN_DB"); p != "" {
		return p
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "lambdascan", "osv.lsdb")
}

// ParseInterspersed lets flags follow positional arguments
// ("lambdascan scan app.zip --format json"), as users type them.
func ParseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// MultiFlag collects a repeatable flag.
type MultiFlag []string

func (m *MultiFlag) String() string     { return strings.Join(*m, ",") }
func (m *MultiFlag) Set(v string) error { *m = append(*m, v); return nil }
