package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/lambdascan/lambdascan/internal/scancli"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

const scanName = "lambdascan scan"

// remoteEnv names the companion binary's path (default: beside lambdascan,
// else on PATH).
const remoteEnv = "LAMBDASCAN_REMOTE"

func cmdScan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	req, code, ok := scancli.Parse(scanName, args, stdout, stderr)
	if !ok {
		return code
	}
	if scancli.Remote(req) {
		return runRemote(ctx, args, stdout, stderr)
	}
	return scancli.Run(ctx, scanName, req, scanLocal, stdout, stderr)
}

// scanLocal scans a zip or directory, with layer zips.
func scanLocal(ctx context.Context, db *vulndb.DB, req scancli.Request, _ string) (*report.Report, error) {
	var layers []scancli.Layer
	for _, l := range req.Layers {
		layers = append(layers, scancli.Layer{Zip: l, Name: filepath.Base(l)})
	}
	return scancli.ScanZip(ctx, db, report.Target{}, req.Target, layers), nil
}

// runRemote hands images and AWS targets to lambdascan-remote with the same
// arguments; its output and exit code are the command's.
func runRemote(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runRemoteCommand(ctx, "scan", args, stdout, stderr)
}

// runRemoteCommand runs lambdascan-remote's subcommand sub: the commands
// that need AWS clients live there, so `lambdascan scan` of a zip starts
// without them.
func runRemoteCommand(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) int {
	bin, err := remoteBinary()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", scanName, err)
		return exitError
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{sub}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// On Ctrl-C or SIGTERM pass an interrupt on: the child stops reading
	// layers and removes its temp files (well within WaitDelay).
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode()
	}
	fmt.Fprintf(stderr, "%s: running %s: %v\n", scanName, bin, err)
	return exitError
}

func remoteBinary() (string, error) {
	if p := os.Getenv(remoteEnv); p != "" {
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "lambdascan-remote")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("lambdascan-remote"); err == nil {
		return p, nil
	}
	return "", errors.New("images and ARNs are scanned by lambdascan-remote, which is neither beside lambdascan nor on PATH (`make build` builds both)")
}
