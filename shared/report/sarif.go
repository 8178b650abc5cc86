package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/lambdascan/lambdascan/shared/match"
)

// WriteSARIF renders findings as SARIF 2.1.0: one rule per advisory, one
// result per affected package location, so code-scanning UIs can show them.
func WriteSARIF(w io.Writer, r *Report) error {
	doc, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	run := sarif.NewRunWithInformationURI(r.Scanner.Name, "https://github.com/lambdascan/lambdascan")
	run.Tool.Driver.WithVersion(r.Scanner.Version)
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if !seen[f.ID] {
			seen[f.ID] = true
			props := sarif.Properties{"tags": []string{"security", "vulnerability", f.Package.Ecosystem}}
			// No number is made up for an unknown severity: without
			// security-severity, code scanning goes by the level (warning).
			if f.Severity.Level != match.LevelUnknown {
				props["security-severity"] = fmt.Sprintf("%.1f", scoreOrLevel(f.Severity))
			}
			rule := run.AddRule(f.ID).
				WithShortDescription(sarif.NewMultiformatMessageString(nonEmpty(f.Summary, f.ID))).
				WithHelpURI(f.URL).
				WithProperties(props)
			rule.WithFullDescription(sarif.NewMultiformatMessageString(strings.Join(append([]string{f.ID}, f.Aliases...), ", ")))
		}
		msg := fmt.Sprintf("%s %s@%s is affected by %s", f.Package.Ecosystem, f.Package.Name, f.Package.Version, f.ID)
		if f.FixedVersion != "" {
			msg += "; fixed in " + f.FixedVersion
		}
		res := run.CreateResultForRule(f.ID).WithLevel(sarifLevel(f.Severity.Level)).WithMessage(sarif.NewTextMessage(msg))
		paths := f.Package.Paths
		if len(paths) == 0 {
			paths = []string{r.Target.Path}
		}
		for _, p := range paths {
			res.AddLocation(sarif.NewLocationWithPhysicalLocation(
				sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(strings.TrimPrefix(p, "/")))))
		}
	}
	doc.AddRun(run)
	return doc.PrettyWrite(w)
}

// sarifLevel: unknown is a warning, never the quieter note of low.
func sarifLevel(level string) string {
	switch level {
	case match.LevelCritical, match.LevelHigh:
		return "error"
	case match.LevelMedium, match.LevelUnknown:
		return "warning"
	}
	return "note"
}

// scoreOrLevel gives GitHub's security-severity a number even without CVSS.
func scoreOrLevel(s match.Severity) float64 {
	if s.Score > 0 {
		return s.Score
	}
	switch s.Level {
	case match.LevelCritical:
		return 9.0
	case match.LevelHigh:
		return 7.0
	case match.LevelMedium:
		return 4.0
	case match.LevelLow:
		return 0.1
	}
	return 0
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
