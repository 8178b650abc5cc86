package main

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

func cmdScan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", defaultDBPath(), "vuln index file (lambdascan db build/update)")
	format := fs.String("format", report.FormatTable, "output format: "+strings.Join(report.Formats, "|"))
	output := fs.String("output", "", "write the report to FILE instead of standard output")
	failOn := fs.String("fail-on", match.LevelLow, "exit 1 when a finding is at or above: low|medium|high|critical (unknown severity counts as low)")
	var layers multiFlag
	fs.Var(&layers, "layer", "a layer zip attached to the function (repeatable)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "lambdascan scan: exactly one TARGET (a zip or a directory) is required")
		return exitError
	}
	if !slices.Contains(report.Formats, *format) {
		fmt.Fprintf(stderr, "lambdascan scan: unknown --format %q\n", *format)
		return exitError
	}
	if match.Rank(*failOn) < 1 {
		fmt.Fprintf(stderr, "lambdascan scan: --fail-on must be low, medium, high or critical, not %q\n", *failOn)
		return exitError
	}
	db, err := vulndb.Open(*dbPath)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan scan: %v\n(build one with `lambdascan db build --from DIR --out FILE` or `lambdascan db update`)\n", err)
		return exitError
	}
	defer db.Close()

	target := pos[0]
	kind := "zip"
	if st, err := os.Stat(target); err == nil && st.IsDir() {
		kind = "directory"
	}
	sources := []inventory.Source{{Path: target}}
	tgt := report.Target{Kind: kind, Path: target}
	for _, l := range layers {
		sources[0].Origin = inventory.Origin{Kind: inventory.OriginFunction}
		name := filepath.Base(l)
		sources = append(sources, inventory.Source{Path: l, Origin: inventory.Origin{Kind: inventory.OriginLayer, Layer: name}})
		tgt.Layers = append(tgt.Layers, report.Layer{ARN: name})
	}
	r := scan.Run(ctx, db, tgt, sources, scan.Options{})

	out := stdout
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			fmt.Fprintf(stderr, "lambdascan scan: %v\n", err)
			return exitError
		}
		defer f.Close()
		out = f
	}
	if err := report.Write(out, r, *format); err != nil {
		fmt.Fprintf(stderr, "lambdascan scan: writing report: %v\n", err)
		return exitError
	}
	if r.Status == report.StatusFailed {
		fmt.Fprintf(stderr, "lambdascan scan: %s: %s\n", r.Error.Name, r.Error.Message)
		return exitError
	}
	if r.AtOrAbove(*failOn) {
		return exitFindings
	}
	return exitOK
}

// defaultDBPath is where `db update` writes: $LAMBDASCAN_DB, else the user cache.
func defaultDBPath() string {
	if p := os.Getenv("LAMBDASCAN_DB"); p != "" {
		return p
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "lambdascan", "osv.lsdb")
}
