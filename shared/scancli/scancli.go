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
}

// Scanner scans the request's target with the open DB; tmp is scratch space.
type Scanner func(ctx context.Context, db *vulndb.DB, req Request, tmp string) (*report.Report, error)

// Parse reads `scan` arguments (flags may follow the target); false means
// the error was written to stderr.
func Parse(name string, args []string, stderr io.Writer) (Request, bool) {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var req Request
	fs.StringVar(&req.DBPath, "db", DefaultDBPath(), "vuln index file (lambdascan db build/update)")
	fs.StringVar(&req.Format, "format", report.FormatTable, "output format: "+strings.Join(report.Formats, "|"))
	fs.StringVar(&req.Output, "output", "", "write the report to FILE instead of standard output")
	fs.StringVar(&req.FailOn, "fail-on", match.LevelLow, "exit 1 when a finding is at or above: low|medium|high|critical (unknown severity counts as low)")
	fs.StringVar(&req.Platform, "platform", "", "platform of a multi-platform image, e.g. linux/arm64 (default linux/amd64; a function's own architecture for an ARN)")
	var layers MultiFlag
	fs.Var(&layers, "layer", "a layer zip or layer version ARN attached to the function (repeatable); alone, the layers are the target")
	pos, err := ParseInterspersed(fs, args)
	if err != nil {
		return req, false
	}
	req.Layers = layers
	switch {
	case len(pos) > 1 || (len(pos) == 0 && len(layers) == 0):
		fmt.Fprintf(stderr, "%s: exactly one TARGET (a zip, a directory, an image tarball, an OCI layout, an image reference or a function ARN) is required, or --layer alone\n", name)
		return req, false
	case !slices.Contains(report.Formats, req.Format):
		fmt.Fprintf(stderr, "%s: unknown --format %q\n", name, req.Format)
		return req, false
	case match.Rank(req.FailOn) < 1:
		fmt.Fprintf(stderr, "%s: --fail-on must be low, medium, high or critical, not %q\n", name, req.FailOn)
		return req, false
	}
	if len(pos) == 1 {
		req.Target = pos[0]
	}
	return req, true
}

// Run opens the DB, scans, writes the report and returns the exit code.
func Run(ctx context.Context, name string, req Request, scan Scanner, stdout, stderr io.Writer) int {
	db, err := vulndb.Open(req.DBPath)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n(build one with `lambdascan db build --from DIR --out FILE` or `lambdascan db update`)\n", name, err)
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
	out := stdout
	if req.Output != "" {
		f, err := os.Create(req.Output)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return ExitError
		}
		defer f.Close()
		out = f
	}
	if err := report.Write(out, r, req.Format); err != nil {
		fmt.Fprintf(stderr, "%s: writing report: %v\n", name, err)
		return ExitError
	}
	if r.Status == report.StatusFailed {
		fmt.Fprintf(stderr, "%s: %s: %s\n", name, r.Error.Name, r.Error.Message)
		return ExitError
	}
	if r.AtOrAbove(req.FailOn) {
		return ExitFindings
	}
	return ExitOK
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
