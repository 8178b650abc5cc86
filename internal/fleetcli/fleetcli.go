// Package fleetcli renders answers of the findings store for the
// `lambdascan affected` and `lambdascan findings` commands.
package fleetcli

import (
	"encoding/json"
	"fmt"
	"github.com/google/osv-scalibr/semantic"
	"github.com/lambdascan/lambdascan/shared/ecosystem"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lambdascan/lambdascan/shared/findings"
)

// Line is one output line: a function version's package, with one of its
// open findings (Advisory empty: the package has none).
type Line struct {
	Account      string    `json:"account"`
	Region       string    `json:"region"`
	Function     string    `json:"function"`
	FunctionARN  string    `json:"functionArn"`
	Version      string    `json:"version"`
	Layer        string    `json:"layer,omitempty"`
	Ecosystem    string    `json:"ecosystem"`
	Package      string    `json:"package"`
	Installed    string    `json:"installed"`
	Advisory     string    `json:"advisory,omitempty"`
	Aliases      []string  `json:"aliases,omitempty"`
	Fixed        string    `json:"fixed,omitempty"`
	Severity     string    `json:"severity,omitempty"`
	Score        float64   `json:"score,omitempty"`
	KEV          bool      `json:"kev"`
	Reachability string    `json:"reachability,omitempty"`
	Since        time.Time `json:"since"`
}

// Lines turns rows into lines: a package row is shown only when no
// finding row covers the same package in the same function version.
func Lines(rows []findings.Row) []Line {
	covered := map[string]bool{}
	for _, r := range rows {
		if r.Finding != nil {
			covered[key(r)] = true
			covered[layerKey(r)] = true
		}
	}
	out := make([]Line, 0, len(rows))
	for _, r := range rows {
		if r.Finding == nil && covered[key(r)] {
			continue
		}
		// A layer row (no package) says a function uses the layer; a
		// finding in that layer says it already.
		if r.Finding == nil && r.Package.Name == "" && covered[layerKey(r)] {
			continue
		}
		l := Line{Account: r.Function.Account, Region: r.Function.Region, Function: r.Function.Name, FunctionARN: r.Function.ARN,
			Version: r.Function.Version, Layer: r.Package.Layer, Ecosystem: r.Package.Ecosystem, Package: r.Package.Name,
			Installed: r.Package.Version, Since: r.Since}
		if f := r.Finding; f != nil {
			l.Advisory, l.Aliases, l.Fixed, l.Severity, l.Score, l.KEV, l.Reachability = f.Advisory, f.Aliases, f.Fixed, f.Severity, f.Score, f.KEV, f.Reachability
		}
		out = append(out, l)
	}
	return out
}

func layerKey(r findings.Row) string {
	return "layer|" + r.Function.ARN + "|" + r.Function.Version + "|" + r.Package.Layer
}

func key(r findings.Row) string {
	return strings.Join([]string{r.Function.ARN, r.Function.Version, r.Package.Ecosystem, r.Package.Name, r.Package.Version, r.Package.Layer}, "|")
}

// Formats.
const (
	FormatTable = "table"
	FormatJSON  = "json"
)

// Write renders lines as a table or a JSON array.
func Write(w io.Writer, lines []Line, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(lines)
	case FormatTable, "":
	default:
		return fmt.Errorf("unknown format %q (table or json)", format)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tFUNCTION\tVERSION\tPACKAGE\tINSTALLED\tFIXED\tADVISORY\tSEVERITY\tKEV\tREACHABILITY\tSINCE")
	for _, l := range lines {
		pkg := dash(l.Package)
		if l.Layer != "" {
			pkg += " (layer " + layerName(l.Layer) + ")"
		}
		kev := "-"
		if l.KEV {
			kev = "KEV"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Account, l.Region, l.Function, l.Version, pkg, dash(l.Installed),
			dash(l.Fixed), dash(l.Advisory), dash(l.Severity), kev, dash(l.Reachability), l.Since.UTC().Format("2006-01-02"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d line(s)\n", len(lines))
	return err
}

// layerName is name:version of a layer version ARN.
func layerName(arn string) string {
	if i := strings.Index(arn, ":layer:"); i >= 0 {
		return arn[i+len(":layer:"):]
	}
	return arn
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// CompareVersions compares two versions of an ecosystem's package with
// osv-scalibr's semantic package, for range queries of the findings store.
func CompareVersions(eco, installed, other string) (int, error) {
	v, err := semantic.Parse(installed, ecosystem.Base(eco))
	if err != nil {
		return 0, err
	}
	return v.CompareStr(other)
}
