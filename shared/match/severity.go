package match

import (
	"math"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"

	"github.com/lambdascan/lambdascan/shared/report/schema"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// Severity levels, lowest to highest (the report schema's).
const (
	LevelUnknown  = schema.LevelUnknown
	LevelLow      = schema.LevelLow
	LevelMedium   = schema.LevelMedium
	LevelHigh     = schema.LevelHigh
	LevelCritical = schema.LevelCritical
)

// Levels lists the levels from highest to lowest.
var Levels = schema.Levels

// Rank orders levels: critical 4 … low 1, unknown 0, anything else -1.
func Rank(level string) int { return schema.Rank(level) }

// Severity is a finding's rating.
type Severity struct {
	Level  string  `json:"level"`
	Score  float64 `json:"score,omitempty"`  // CVSS base score
	Type   string  `json:"type,omitempty"`   // CVSS_V3, CVSS_V4, CVSS_V2 or GHSA
	Vector string  `json:"vector,omitempty"` // the vector the score comes from
	// Source is where the rating comes from: "osv" (the record's CVSS),
	// "ghsa" (GitHub's rating) or "nvd:CVE-…" (the CVE alias's NVD metric).
	Source string `json:"source,omitempty"`
}

// Sources of a rating (Severity.Source); an NVD rating names its CVE:
// "nvd:CVE-2024-1234".
const (
	SourceOSV  = "osv"
	SourceGHSA = "ghsa"
	SourceNVD  = "nvd:"
)

// severityOf takes the first rating that exists: the record's own CVSS
// (v4.0, then v3.x, then v2), GitHub's rating, the NVD metric of one of the
// record's CVE ids (the highest, when several have one), else unknown.
func severityOf(adv vulndb.Advisory, aff *vulndb.Affected) Severity {
	vectors := append([]vulndb.Severity(nil), adv.Severity...)
	if aff != nil {
		vectors = append(vectors, aff.Severity...)
	}
	for _, want := range []string{"CVSS_V4", "CVSS_V3", "CVSS_V2"} {
		for _, s := range vectors {
			if s.Type != want {
				continue
			}
			if score, ok := BaseScore(s.Score); ok {
				return Severity{Level: levelOfScore(score), Score: score, Type: s.Type, Vector: s.Score, Source: SourceOSV}
			}
		}
	}
	gh := Severity{Type: "GHSA", Source: SourceGHSA}
	switch strings.ToUpper(adv.GHSeverity) {
	case "CRITICAL":
		gh.Level = LevelCritical
	case "HIGH":
		gh.Level = LevelHigh
	case "MODERATE", "MEDIUM":
		gh.Level = LevelMedium
	case "LOW":
		gh.Level = LevelLow
	}
	if gh.Level != "" {
		return gh
	}
	best := Severity{Level: LevelUnknown}
	for _, c := range adv.CVEs {
		if c.NVD == nil {
			continue
		}
		score, ok := BaseScore(c.NVD.Vector)
		if !ok {
			score = c.NVD.Score // a vector our parser refuses: NVD's own score
		}
		if best.Level != LevelUnknown && score <= best.Score {
			continue
		}
		best = Severity{Level: levelOfScore(score), Score: score, Type: cvssType(c.NVD.Version), Vector: c.NVD.Vector, Source: SourceNVD + c.ID}
	}
	return best
}

func cvssType(version string) string {
	switch {
	case strings.HasPrefix(version, "4"):
		return "CVSS_V4"
	case strings.HasPrefix(version, "3"):
		return "CVSS_V3"
	}
	return "CVSS_V2"
}

// exploitOf returns the KEV entry of any of the record's CVE ids (the
// earliest listed) and the highest EPSS score among them.
func exploitOf(adv vulndb.Advisory) (*KEV, *EPSS) {
	var kev *KEV
	var epss *EPSS
	for _, c := range adv.CVEs {
		if c.KEV != nil && (kev == nil || c.KEV.DateAdded < kev.DateAdded) {
			kev = &KEV{DateAdded: c.KEV.DateAdded, DueDate: c.KEV.DueDate, KnownRansomware: c.KEV.KnownRansomware}
		}
		if c.EPSS != nil && (epss == nil || c.EPSS.Score > epss.Score) {
			epss = &EPSS{Score: c.EPSS.Score, Percentile: c.EPSS.Percentile, Date: c.EPSS.Date}
		}
	}
	return kev, epss
}

// BaseScore computes the CVSS base score of a vector (v2, v3.0, v3.1, v4.0).
func BaseScore(vector string) (float64, bool) {
	switch {
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		if c, err := gocvss31.ParseVector(vector); err == nil {
			return c.BaseScore(), true
		}
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		if c, err := gocvss30.ParseVector(vector); err == nil {
			return c.BaseScore(), true
		}
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		if c, err := gocvss40.ParseVector(vector); err == nil {
			return math.Round(c.Score()*10) / 10, true
		}
	default:
		if c, err := gocvss20.ParseVector(strings.TrimPrefix(vector, "CVSS:2.0/")); err == nil {
			return c.BaseScore(), true
		}
	}
	return 0, false
}

// levelOfScore maps a CVSS score to the qualitative scale of CVSS v3/v4.
// A 0.0 score ("none") is reported as low: the advisory still matched.
func levelOfScore(s float64) string {
	switch {
	case s >= 9.0:
		return LevelCritical
	case s >= 7.0:
		return LevelHigh
	case s >= 4.0:
		return LevelMedium
	default:
		return LevelLow
	}
}
