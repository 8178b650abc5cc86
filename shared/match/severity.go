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

// severityOf picks the rating: a CVSS v3 vector first (what most tools and
// NVD show), then v4, then v2, then GitHub's database_specific rating.
func severityOf(adv vulndb.Advisory, aff *vulndb.Affected) Severity {
	vectors := append([]vulndb.Severity(nil), adv.Severity...)
	if aff != nil {
		vectors = append(vectors, aff.Severity...)
	}
	for _, want := range []string{"CVSS_V3", "CVSS_V4", "CVSS_V2"} {
		for _, s := range vectors {
			if s.Type != want {
				continue
			}
			if score, ok := BaseScore(s.Score); ok {
				return Severity{Level: levelOfScore(score), Score: score, Type: s.Type, Vector: s.Score}
			}
		}
	}
	switch strings.ToUpper(adv.GHSeverity) {
	case "CRITICAL":
		return Severity{Level: LevelCritical, Type: "GHSA"}
	case "HIGH":
		return Severity{Level: LevelHigh, Type: "GHSA"}
	case "MODERATE", "MEDIUM":
		return Severity{Level: LevelMedium, Type: "GHSA"}
	case "LOW":
		return Severity{Level: LevelLow, Type: "GHSA"}
	}
	return Severity{Level: LevelUnknown}
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
