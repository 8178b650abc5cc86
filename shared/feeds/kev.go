package feeds

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Catalog is a parsed CISA KEV catalog.
type Catalog struct {
	Version string // catalogVersion
	Date    string // dateReleased
	Entries map[string]KEVEntry
}

// ParseKEV reads CISA's known_exploited_vulnerabilities.json.
func ParseKEV(r io.Reader) (Catalog, error) {
	var raw struct {
		CatalogVersion  string `json:"catalogVersion"`
		DateReleased    string `json:"dateReleased"`
		Count           *int   `json:"count"`
		Vulnerabilities []struct {
			CVEID                      string `json:"cveID"`
			DateAdded                  string `json:"dateAdded"`
			DueDate                    string `json:"dueDate"`
			KnownRansomwareCampaignUse string `json:"knownRansomwareCampaignUse"`
		} `json:"vulnerabilities"`
	}
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return Catalog{}, fmt.Errorf("%w: KEV catalog: %v", ErrBadFeed, err)
	}
	if raw.Count == nil || raw.Vulnerabilities == nil {
		return Catalog{}, fmt.Errorf("%w: not a KEV catalog (no count or vulnerabilities)", ErrBadFeed)
	}
	// A catalog cut short in transit must not replace a whole one.
	if *raw.Count != len(raw.Vulnerabilities) {
		return Catalog{}, fmt.Errorf("%w: KEV catalog says %d entries, holds %d", ErrBadFeed, *raw.Count, len(raw.Vulnerabilities))
	}
	c := Catalog{Version: raw.CatalogVersion, Date: raw.DateReleased, Entries: make(map[string]KEVEntry, len(raw.Vulnerabilities))}
	for _, v := range raw.Vulnerabilities {
		id := strings.ToUpper(strings.TrimSpace(v.CVEID))
		if !strings.HasPrefix(id, "CVE-") || v.DateAdded == "" {
			return Catalog{}, fmt.Errorf("%w: KEV entry %q without a CVE id or dateAdded", ErrBadFeed, v.CVEID)
		}
		c.Entries[id] = KEVEntry{DateAdded: v.DateAdded, DueDate: v.DueDate,
			KnownRansomware: strings.EqualFold(v.KnownRansomwareCampaignUse, "Known")}
	}
	return c, nil
}
