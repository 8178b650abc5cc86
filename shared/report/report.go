// Package report is the versioned scan report and its renderers: table,
// JSON, SARIF 2.1.0, CycloneDX 1.6 and SPDX 2.3.
package report

import (
	"time"

	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
)

// SchemaVersion names the JSON layout below; bump it on incompatible change.
const SchemaVersion = "lambdascan.report/v1"

// Statuses of a scan.
const (
	StatusComplete = "complete"
	StatusPartial  = "partial"
	StatusFailed   = "failed"
)

// Report is the result of one scan attempt. Every attempt writes one, failed
// ones included, so nothing is lost.
type Report struct {
	Schema   string              `json:"schema"`
	Target   Target              `json:"target"`
	Scanner  Scanner             `json:"scanner"`
	DB       DB                  `json:"db"`
	Timings  Timings             `json:"timings"`
	Status   string              `json:"status"`
	Reasons  []inventory.Problem `json:"reasons,omitempty"` // why partial
	Error    *Error              `json:"error,omitempty"`   // why failed
	Summary  Summary             `json:"summary"`
	Packages []inventory.Package `json:"packages"`
	Findings []match.Finding     `json:"findings"`
	Skipped  []match.Skip        `json:"skipped,omitempty"` // packages not matchable
	Notes    []string            `json:"notes,omitempty"`
}

// Target is what was scanned.
type Target struct {
	Kind        string  `json:"kind"` // zip, directory, function, layer, image
	Path        string  `json:"path,omitempty"`
	FunctionARN string  `json:"function_arn,omitempty"`
	CodeSha256  string  `json:"code_sha256,omitempty"`
	Runtime     string  `json:"runtime,omitempty"`
	Layers      []Layer `json:"layers,omitempty"`
	// Image targets (and image functions): the image and its layers.
	Image *Image `json:"image,omitempty"`
}

// Image describes a scanned container image.
type Image struct {
	Ref      string                `json:"ref,omitempty"`    // as given, or the function's ResolvedImageUri
	Digest   string                `json:"digest,omitempty"` // manifest digest
	Platform string                `json:"platform,omitempty"`
	OS       string                `json:"os,omitempty"` // PRETTY_NAME of /etc/os-release
	Layers   []inventory.LayerInfo `json:"layers,omitempty"`
}

// Layer is a layer attached to the target function.
type Layer struct {
	ARN        string `json:"arn"`
	CodeSha256 string `json:"code_sha256,omitempty"`
}

// Scanner identifies the build that produced the report.
type Scanner struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// DB identifies the vulnerability data used.
type DB struct {
	Version     string    `json:"version"`
	ContentHash string    `json:"content_hash,omitempty"`
	BuiltAt     time.Time `json:"built_at,omitempty"`
}

// Timings of the scan phases, in milliseconds.
type Timings struct {
	StartedAt   time.Time `json:"started_at"`
	InventoryMS int64     `json:"inventory_ms"`
	MatchMS     int64     `json:"match_ms"`
	TotalMS     int64     `json:"total_ms"`
}

// Error is a named failure: Name is stable (for Step Functions routing and
// metrics), Message is for people.
type Error struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// Summary counts findings.
type Summary struct {
	Packages    int            `json:"packages"`
	Findings    int            `json:"findings"`
	BySeverity  map[string]int `json:"by_severity"`
	MaxSeverity string         `json:"max_severity,omitempty"`
	KEV         int            `json:"kev"` // findings in CISA's KEV catalog
}

// Summarize fills Summary from Packages and Findings.
func (r *Report) Summarize() {
	s := Summary{Packages: len(r.Packages), Findings: len(r.Findings), BySeverity: map[string]int{}}
	for _, l := range match.Levels {
		s.BySeverity[l] = 0
	}
	for _, f := range r.Findings {
		s.BySeverity[f.Severity.Level]++
		if f.KEV != nil {
			s.KEV++
		}
		if match.Rank(f.Severity.Level) > match.Rank(s.MaxSeverity) {
			s.MaxSeverity = f.Severity.Level
		}
	}
	r.Summary = s
}

// AtOrAbove reports whether any finding is at or above the level. A finding
// of unknown severity (no rating anywhere: not in the record, not from
// GitHub, not from NVD) counts at every level: "unknown" is never quieter
// than "low". ignoreUnknown (--ignore-unknown) leaves those out.
func (r *Report) AtOrAbove(level string, ignoreUnknown bool) bool {
	by := map[string]int{}
	for _, f := range r.Findings {
		by[f.Severity.Level]++
	}
	return CountsAtOrAbove(by, level, ignoreUnknown)
}
