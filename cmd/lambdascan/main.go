// Command lambdascan scans Lambda deployment packages for known
// vulnerabilities and manages the local OSV index.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/lambdascan/lambdascan/internal/scancli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes: 0 nothing at or above --fail-on, 1 something is, 2 error.
const (
	exitOK       = scancli.ExitOK
	exitFindings = scancli.ExitFindings
	exitError    = scancli.ExitError
)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		rootHelp.Write(stderr, nil)
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
		return cmdVersion(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		if len(args) > 1 && args[0] == "help" { // lambdascan help scan → lambdascan scan --help
			return run(ctx, append(args[1:], "--help"), stdout, stderr)
		}
		rootHelp.Write(stdout, nil)
		return exitOK
	}
	fmt.Fprintf(stderr, "lambdascan: unknown command %q (valid: scan, db, bulk, status, replay, version, help)\nRun 'lambdascan --help' for usage.\n", args[0])
	return exitError
}
