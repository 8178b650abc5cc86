// Package vulndb turns OSV export zips into one compact index file that the
// scanner opens in milliseconds and queries by (ecosystem, package name)
// without loading the whole database.
package vulndb

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lambdascan/lambdascan/shared/ecosystem"
	"github.com/lambdascan/lambdascan/shared/feeds"
)

// Advisory is what we keep of an OSV record: the facts matching and reports
// need, with affected[] reduced to the entries of one package.
type Advisory struct {
	ID         string     `json:"id"`
	Aliases    []string   `json:"aliases,omitempty"`
	Summary    string     `json:"summary,omitempty"`
	Severity   []Severity `json:"severity,omitempty"`
	GHSeverity string     `json:"gh_severity,omitempty"` // database_specific.severity
	URL        string     `json:"url,omitempty"`
	Modified   string     `json:"modified,omitempty"`
	Affected   []Affected `json:"affected"`
	// CVEs: what the NVD, KEV and EPSS feeds say about the record's CVE
	// ids (its own id and aliases), for those they know.
	CVEs []CVEFacts `json:"cves,omitempty"`
}

// CVEFacts are the feeds' facts about one CVE id of an advisory.
type CVEFacts struct {
	ID string `json:"id"`
	feeds.CVE
}

// Severity is a scoring vector as OSV gives it (CVSS_V2, CVSS_V3, CVSS_V4).
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one affected[] entry.
type Affected struct {
	Ecosystem string     `json:"ecosystem"`
	Name      string     `json:"name"`
	Ranges    []Range    `json:"ranges,omitempty"`
	Versions  []string   `json:"versions,omitempty"`
	Severity  []Severity `json:"severity,omitempty"`
	// Go is set on Go advisories: the vulnerable packages and symbols.
	Go *GoSpecific `json:"go,omitempty"`
}

// Range is an OSV range; GIT ranges are kept so the order of ranges is
// irrelevant to matching (they are skipped there, not here).
type Range struct {
	Type   string  `json:"type"`
	Events []Event `json:"events"`
}

// Event is one OSV range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// ErrBadRecord marks an OSV record we cannot use.
var ErrBadRecord = errors.New("malformed OSV record")

// osvRecord is the subset of the OSV schema we decode.
type osvRecord struct {
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Withdrawn        string          `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []Severity      `json:"severity"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
	References       []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"references"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
		Ranges            []Range         `json:"ranges"`
		Versions          []string        `json:"versions"`
		Severity          []Severity      `json:"severity"`
		EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	} `json:"affected"`
}

// keyed is one advisory filed under one lookup key.
type keyed struct {
	key string
	adv Advisory
}

const maxSummary = 200

// ParseRecord decodes one OSV JSON record into advisories keyed by package.
// A withdrawn record yields nothing and no error.
func ParseRecord(data []byte) ([]keyed, error) {
	var r osvRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadRecord, err)
	}
	if strings.TrimSpace(r.ID) == "" {
		return nil, fmt.Errorf("%w: no id", ErrBadRecord)
	}
	if r.Withdrawn != "" {
		return nil, nil
	}
	base := Advisory{
		ID:         r.ID,
		Aliases:    r.Aliases,
		Summary:    shorten(r.Summary, r.Details),
		Severity:   r.Severity,
		GHSeverity: ghSeverity(r.DatabaseSpecific),
		URL:        advisoryURL(r.ID, r.References),
		Modified:   r.Modified,
	}
	byKey := map[string]*Advisory{}
	var order []string
	for _, a := range r.Affected {
		if a.Package.Name == "" || a.Package.Ecosystem == "" {
			continue // GIT-only entries name no package we can inventory
		}
		k := Key(a.Package.Ecosystem, a.Package.Name)
		adv, ok := byKey[k]
		if !ok {
			cp := base
			adv = &cp
			byKey[k] = adv
			order = append(order, k)
		}
		adv.Affected = append(adv.Affected, Affected{
			Ecosystem: a.Package.Ecosystem,
			Name:      a.Package.Name,
			Ranges:    a.Ranges,
			Versions:  a.Versions,
			Severity:  a.Severity,
			Go:        goSpecific(ecosystem.Base(a.Package.Ecosystem), a.EcosystemSpecific),
		})
	}
	out := make([]keyed, 0, len(order))
	for _, k := range order {
		out = append(out, keyed{key: k, adv: *byKey[k]})
	}
	return out, nil
}

// Key is the lookup key for a package: base ecosystem (without ":suffix")
// and the name normalized the way the ecosystem compares names.
func Key(eco, name string) string {
	base := ecosystem.Base(eco)
	return base + "\x00" + ecosystem.NormalizeName(base, name)
}

func shorten(summary, details string) string {
	s := strings.TrimSpace(summary)
	if s == "" {
		s = strings.TrimSpace(details)
		if i := strings.IndexAny(s, "\n"); i > 0 {
			s = s[:i]
		}
	}
	if len(s) > maxSummary {
		cut := maxSummary
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = strings.TrimSpace(s[:cut]) + "…"
	}
	return s
}

func ghSeverity(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var ds struct {
		Severity any `json:"severity"`
	}
	if json.Unmarshal(raw, &ds) != nil {
		return ""
	}
	if s, ok := ds.Severity.(string); ok {
		return strings.ToUpper(s)
	}
	return ""
}

// advisoryURL prefers the record's own ADVISORY reference, else osv.dev.
func advisoryURL(id string, refs []struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}) string {
	for _, r := range refs {
		if r.Type == "ADVISORY" && strings.Contains(r.URL, id) {
			return r.URL
		}
	}
	return "https://osv.dev/vulnerability/" + id
}
