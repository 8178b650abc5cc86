// Package report is the versioned scan report and its renderers: table,
// JSON, SARIF 2.1.0, CycloneDX 1.6 and SPDX 2.3.
package report

import (
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// The schema's scanner-free part lives in package schema (the light steps
// use it without linking the engine); these names keep it one schema.
const (
	SchemaVersion  = schema.SchemaVersion
	StatusComplete = schema.StatusComplete
	StatusPartial  = schema.StatusPartial
	StatusFailed   = schema.StatusFailed
)

// Target kinds.
const (
	KindZip       = schema.KindZip
	KindDirectory = schema.KindDirectory
	KindFunction  = schema.KindFunction
	KindLayer     = schema.KindLayer
	KindImage     = schema.KindImage
)

type (
	Header    = schema.Header
	Target    = schema.Target
	Kind      = schema.Kind
	Image     = schema.Image
	Layer     = schema.Layer
	Scanner   = schema.Scanner
	DB        = schema.DB
	Timings   = schema.Timings
	Error     = schema.Error
	ErrorName = schema.ErrorName
	Summary   = schema.Summary
)

// Report is the result of one scan attempt. Every attempt writes one, failed
// ones included, so nothing is lost. The header comes first in the JSON.
type Report struct {
	schema.Header
	Packages []inventory.Package `json:"packages"`
	Findings []match.Finding     `json:"findings"`
	Skipped  []match.Skip        `json:"skipped,omitempty"` // packages not matchable
	Notes    []string            `json:"notes,omitempty"`
}

// Summarize fills Summary from Packages and Findings.
func (r *Report) Summarize() {
	s := schema.EmptySummary()
	s.Packages, s.Findings = len(r.Packages), len(r.Findings)
	for _, f := range r.Findings {
		s.BySeverity[f.Severity.Level]++
		if match.Rank(f.Severity.Level) > match.Rank(s.MaxSeverity) {
			s.MaxSeverity = f.Severity.Level
		}
	}
	r.Summary = s
}

// AtOrAbove reports whether any finding is at or above the level. A finding
// of unknown severity (no CVSS vector, no rating: most Go and PyPI records)
// counts as low, so "--fail-on low" fails on every finding.
func (r *Report) AtOrAbove(level string) bool {
	want := match.Rank(level)
	for _, f := range r.Findings {
		rank := match.Rank(f.Severity.Level)
		if f.Severity.Level == match.LevelUnknown {
			rank = match.Rank(match.LevelLow)
		}
		if rank >= want {
			return true
		}
	}
	return false
}
