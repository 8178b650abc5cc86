package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/lambdascan/lambdascan/shared/match"
)

// The page is one file: CSS inline, the chart inline SVG, no script, and a
// Content-Security-Policy that forbids loading anything, so opening a report
// makes no network request. html/template escapes every value: package
// names, paths and summaries come from the scanned package and are hostile
// until shown otherwise.
//
//go:embed html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"upper":   strings.ToUpper,
	"aliases": Aliases,
	"where":   Where,
	"originOf": func(k, layer string, idx int, base bool) string {
		switch k {
		case "layer":
			return "layer " + layer
		case "image":
			s := fmt.Sprintf("image layer %d", idx)
			if base {
				s += " (base)"
			}
			return s
		}
		return "function"
	},
	"score": func(f float64) string {
		if f <= 0 {
			return ""
		}
		return fmt.Sprintf("%.1f", f)
	},
	"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
}).Parse(htmlSource))

type htmlLevel struct {
	Level string
	Count int
	Width float64 // bar length in the chart, 0-220
	Y     int
}

type htmlPage struct {
	R         *Report
	Target    string
	Groups    []PackageFindings
	Levels    []htmlLevel
	KEV       int
	Reachable int
}

// WriteHTML renders the report as one self-contained HTML page.
func WriteHTML(w io.Writer, r *Report) error {
	p := htmlPage{R: r, Target: r.Describe(), Groups: Groups(r)}
	most := 0
	for _, l := range match.Levels {
		most = max(most, r.Summary.BySeverity[l])
	}
	for i, l := range match.Levels {
		n := r.Summary.BySeverity[l]
		hl := htmlLevel{Level: l, Count: n, Y: i * 26}
		if most > 0 {
			hl.Width = float64(n) / float64(most) * 220
		}
		p.Levels = append(p.Levels, hl)
	}
	for _, g := range p.Groups {
		p.KEV += g.KEV
		p.Reachable += g.Reachable
	}
	return htmlTemplate.Execute(w, p)
}
