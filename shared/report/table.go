package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"github.com/lambdascan/lambdascan/shared/match"
)

// TableOptions shape the table for where it is printed.
type TableOptions struct {
	Color bool // ANSI colour (a terminal, NO_COLOR unset)
	Width int  // cut lines to this many columns; 0: no limit
	Quiet bool // the findings only: no target, summary, status or notes
}

// Rows per package before the rest fold into one line: a Go binary's
// stdlib easily has 70 findings, and the first few (highest risk) are what
// a reader acts on; every id stays on the folded line.
const maxRows = 3

// maxVersion is where long versions (Go pseudo-versions) get shortened;
// a terminal narrower than wideTerminal shortens them to narrowVersion.
const (
	maxVersion    = 24
	narrowVersion = 16
	wideTerminal  = 120
)

func (t *table) versionWidth() int {
	if t.opt.Width > 0 && t.opt.Width < wideTerminal {
		return narrowVersion
	}
	return maxVersion
}

// WriteTable prints the findings grouped by package, then the summary and
// status, without colour or width limit.
func WriteTable(w io.Writer, r *Report) error { return WriteTableWith(w, r, TableOptions{}) }

// WriteTableWith prints the table with the options.
func WriteTableWith(w io.Writer, r *Report, opt TableOptions) error {
	t := &table{w: w, opt: opt}
	if !opt.Quiet {
		t.line(r.Describe(), span{r.Describe(), bold})
	}
	groups := Groups(r)
	t.findings(groups)
	if opt.Quiet {
		return t.err
	}
	s := r.Summary
	counts := plural(s.Packages, "package") + ", " + plural(s.Findings, "finding")
	var parts []string
	for _, l := range match.Levels {
		if n := s.BySeverity[l]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, l))
		}
	}
	if len(parts) > 0 {
		counts += " (" + strings.Join(parts, ", ") + ")"
	}
	var kev, reach int
	for _, g := range groups {
		kev += g.KEV
		reach += g.Reachable
	}
	if kev > 0 {
		counts += fmt.Sprintf(", %d in KEV", kev)
	}
	if reach > 0 {
		counts += fmt.Sprintf(", %d reachable", reach)
	}
	if len(groups) > 0 {
		t.plain("")
	}
	t.plain(counts)
	status := "status: " + r.Status
	if r.Error != nil {
		status += fmt.Sprintf(" (%s: %s)", r.Error.Name, r.Error.Message)
	}
	t.plain(status)
	for _, reason := range r.Reasons {
		t.plain(strings.TrimRight(fmt.Sprintf("  partial: %s %s %s", reason.Code, reason.Path, reason.Detail), " "))
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
			t.plain(fmt.Sprintf("  not matched (%s): %s", c, strings.Join(byCode[c], ", ")))
		}
	}
	for _, n := range r.Notes {
		t.plain("  note: " + n)
	}
	t.plain(fmt.Sprintf("db %s, scanner %s, %d ms", r.DB.Version, r.Scanner.Version, r.Timings.TotalMS))
	return t.err
}

type table struct {
	w   io.Writer
	opt TableOptions
	err error
}

// ANSI styles.
const (
	bold    = "1"
	dim     = "2"
	red     = "31"
	boldRed = "1;31"
	yellow  = "33"
	cyan    = "36"
	magenta = "1;35"
)

var levelStyle = map[string]string{
	match.LevelCritical: boldRed, match.LevelHigh: red, match.LevelMedium: yellow,
	match.LevelLow: cyan, match.LevelUnknown: dim,
}

func (t *table) paint(style, s string) string {
	if !t.opt.Color || style == "" || s == "" {
		return s
	}
	return "\x1b[" + style + "m" + s + "\x1b[0m"
}

// span is a piece of a line to paint, found by its text.
type span struct{ text, style string }

// line cuts s to the width, then paints the spans that survived the cut
// (colour codes never count against the width).
func (t *table) line(s string, spans ...span) {
	if t.err != nil {
		return
	}
	// Names, versions and paths come from the scanned package: a control
	// character (an ANSI or OSC escape) must not reach the terminal.
	s = inert(s)
	if t.opt.Width > 0 {
		s = cut(s, t.opt.Width)
	}
	for _, sp := range spans {
		sp.text = inert(sp.text)
		if sp.text != "" && strings.Contains(s, sp.text) {
			s = strings.Replace(s, sp.text, t.paint(sp.style, sp.text), 1)
		}
	}
	_, t.err = fmt.Fprintln(t.w, s)
}

func (t *table) plain(s string) { t.line(s) }

// inert shows control characters as U+FFFD.
func inert(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func cut(s string, width int) string {
	r := []rune(s)
	if width < 2 || len(r) <= width {
		return s
	}
	return string(r[:width-1]) + "…"
}

type row struct {
	level                              string
	sev, score, id, aliases, fixed, ev string
	badges                             []string
	summary                            string
}

func (t *table) findings(groups []PackageFindings) {
	var rows [][]row
	var wID, wAlias, wFixed, wBadge int
	for _, g := range groups {
		var rs []row
		shown := g.Findings
		if len(shown) > maxRows+1 {
			shown = shown[:maxRows]
		}
		for _, f := range shown {
			rw := row{level: f.Severity.Level, sev: strings.ToUpper(f.Severity.Level), score: "-", id: f.ID, fixed: "(no fix)", summary: f.Summary}
			if f.Severity.Score > 0 {
				rw.score = fmt.Sprintf("%.1f", f.Severity.Score)
			}
			if f.FixedVersion != "" {
				rw.fixed = "→ " + ShortVersion(f.FixedVersion, t.versionWidth())
			}
			al := Aliases(f)
			if len(al) > 2 {
				al = append(al[:2:2], fmt.Sprintf("+%d", len(al)-2))
			}
			rw.aliases = strings.Join(al, ",")
			if rw.aliases == "" {
				rw.aliases = "-"
			}
			if f.KEV != nil {
				rw.badges = append(rw.badges, "KEV")
			}
			if f.Reachability != nil && f.Reachability.Level != match.ReachUnknown {
				rw.badges = append(rw.badges, "reach:"+f.Reachability.Level)
			}
			wID, wAlias, wFixed = max(wID, len(rw.id)), max(wAlias, len(rw.aliases)), max(wFixed, len([]rune(rw.fixed)))
			wBadge = max(wBadge, len(strings.Join(rw.badges, " ")))
			rs = append(rs, rw)
		}
		rows = append(rows, rs)
	}
	for i, g := range groups {
		if i > 0 || !t.opt.Quiet {
			t.plain("")
		}
		head := g.Headline(t.versionWidth())
		where := "  " + Where(g.Package)
		t.line(head+where, span{head, bold}, span{where, dim})
		for _, rw := range rows[i] {
			badges := strings.Join(rw.badges, " ")
			// Badges before the id: a narrow terminal cuts the line's end.
			rest := fmt.Sprintf(" %4s  ", rw.score)
			if wBadge > 0 {
				rest += fmt.Sprintf("%-*s  ", wBadge, badges)
			}
			rest += fmt.Sprintf("%-*s  %-*s  %-*s", wID, rw.id, wAlias, rw.aliases, wFixed, rw.fixed)
			if rw.summary != "" {
				rest += "  " + cut(rw.summary, 72)
			}
			sev := fmt.Sprintf("%-8s", rw.sev)
			t.line(strings.TrimRight("  "+sev+rest, " "), span{sev, levelStyle[rw.level]}, span{badges, magenta})
		}
		if rest := g.Findings[len(rows[i]):]; len(rest) > 0 {
			t.plain(folded(rest))
		}
	}
}

// folded is the line for the findings past maxRows: how many of each
// severity, and every id.
func folded(fs []match.Finding) string {
	n := map[string]int{}
	ids := make([]string, 0, len(fs))
	for _, f := range fs {
		n[f.Severity.Level]++
		ids = append(ids, f.ID)
	}
	var parts []string
	for _, l := range match.Levels {
		if n[l] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[l], l))
		}
	}
	return fmt.Sprintf("  … %d more (%s): %s", len(fs), strings.Join(parts, ", "), strings.Join(ids, " "))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
