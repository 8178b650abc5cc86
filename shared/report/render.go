package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/lambdascan/lambdascan/shared/match"
)

// Formats the renderers produce.
const (
	FormatTable     = "table"
	FormatJSON      = "json"
	FormatSARIF     = "sarif"
	FormatCycloneDX = "cyclonedx"
	FormatSPDX      = "spdx"
)

// Formats lists every format, for flag help and validation.
var Formats = []string{FormatTable, FormatJSON, FormatSARIF, FormatCycloneDX, FormatSPDX}

// Write renders the report in the given format.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatTable:
		return WriteTable(w, r)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case FormatSARIF:
		return WriteSARIF(w, r)
	case FormatCycloneDX:
		return WriteCycloneDX(w, r)
	case FormatSPDX:
		return WriteSPDX(w, r)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// WriteTable prints findings sorted by severity, then the summary and status.
func WriteTable(w io.Writer, r *Report) error {
	name := r.Target.Path
	if r.Target.FunctionARN != "" {
		name = r.Target.FunctionARN
	}
	fmt.Fprintf(w, "%s  (%s)\n", name, r.Target.Kind)
	fs := append([]match.Finding(nil), r.Findings...)
	match.Sort(fs)
	if len(fs) > 0 {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tSCORE\tID\tALIASES\tPACKAGE\tVERSION\tFIXED\tWHERE")
		for _, f := range fs {
			score := "-"
			if f.Severity.Score > 0 {
				score = fmt.Sprintf("%.1f", f.Severity.Score)
			}
			fixed := f.FixedVersion
			if fixed == "" {
				fixed = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				strings.ToUpper(f.Severity.Level), score, f.ID, cves(f.Aliases),
				f.Package.Ecosystem+"/"+f.Package.Name, f.Package.Version, fixed, where(f))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	s := r.Summary
	fmt.Fprintf(w, "%d packages, %d findings (critical %d, high %d, medium %d, low %d, unknown %d)\n",
		s.Packages, s.Findings, s.BySeverity["critical"], s.BySeverity["high"], s.BySeverity["medium"],
		s.BySeverity["low"], s.BySeverity["unknown"])
	fmt.Fprintf(w, "status: %s", r.Status)
	if r.Error != nil {
		fmt.Fprintf(w, " (%s: %s)", r.Error.Name, r.Error.Message)
	}
	fmt.Fprintln(w)
	for _, reason := range r.Reasons {
		fmt.Fprintf(w, "  partial: %s %s %s\n", reason.Code, reason.Path, reason.Detail)
	}
	if len(r.Skipped) > 0 {
		byCode := map[string][]string{}
		for _, sk := range r.Skipped {
			byCode[sk.Code] = append(byCode[sk.Code], sk.Package.Name)
		}
		codes := make([]string, 0, len(byCode))
		for c := range byCode {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		for _, c := range codes {
			fmt.Fprintf(w, "  not matched (%s): %s\n", c, strings.Join(byCode[c], ", "))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	_, err := fmt.Fprintf(w, "db %s, scanner %s, %d ms\n", r.DB.Version, r.Scanner.Version, r.Timings.TotalMS)
	return err
}

func cves(aliases []string) string {
	var out []string
	for _, a := range aliases {
		if strings.HasPrefix(a, "CVE-") {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "-"
	}
	if len(out) > 2 {
		return strings.Join(out[:2], ",") + fmt.Sprintf(",+%d", len(out)-2)
	}
	return strings.Join(out, ",")
}

func where(f match.Finding) string {
	w := "-"
	if len(f.Package.Paths) > 0 {
		w = f.Package.Paths[0]
		if len(f.Package.Paths) > 1 {
			w += fmt.Sprintf(" (+%d)", len(f.Package.Paths)-1)
		}
	}
	if f.Package.Origin.Layer != "" {
		w += " [layer " + f.Package.Origin.Layer + "]"
	}
	if f.Package.Bundled {
		w += " [bundled]"
	}
	return w
}
