// Package feeds reads the vulnerability feeds that complete OSV records:
// NVD's CVE API 2.0 pages (a CVSS rating for CVEs whose advisory has none),
// CISA's Known Exploited Vulnerabilities catalog and FIRST's EPSS scores.
// It parses the publishers' formats, loads them from a folder (db build
// --from) and fetches them over HTTP (the mirror step).
package feeds

import (
	"sort"
	"strings"
)

// Feed names, as the index header and metrics name them.
const (
	NVD  = "nvd"
	KEV  = "kev"
	EPSS = "epss"
)

// Names lists the feeds in a fixed order.
var Names = []string{NVD, KEV, EPSS}

// Metric is the CVSS rating NVD data holds for a CVE.
type Metric struct {
	Version string  `json:"version"` // CVSS version: "4.0", "3.1", "3.0", "2.0"
	Vector  string  `json:"vector"`
	Score   float64 `json:"score"`
	// By says whose metric it is: "nvd" (NVD's primary), "cna" (the CVE's
	// numbering authority) or "adp" (an authorized data publisher such as
	// CISA-ADP, used only when neither NVD nor the CNA scored the CVE).
	By string `json:"by"`
}

// NVDRecord is what we keep of one NVD CVE record.
type NVDRecord struct {
	LastModified string  `json:"lastModified"`
	Metric       *Metric `json:"metric,omitempty"` // nil: NVD has no CVSS for it (yet)
}

// KEVEntry is one CISA KEV catalog entry.
type KEVEntry struct {
	DateAdded       string `json:"dateAdded"`
	DueDate         string `json:"dueDate,omitempty"`
	KnownRansomware bool   `json:"knownRansomware"`
}

// EPSSScore is FIRST's exploit prediction for one CVE.
type EPSSScore struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
	Date       string  `json:"date,omitempty"` // score_date, YYYY-MM-DD
}

// Info describes one feed as ingested: its date (NVD: the newest page
// timestamp; KEV: dateReleased; EPSS: score_date), how many records it
// gave, and the error of the last attempt when it failed (the data then is
// the previous copy, of that date).
type Info struct {
	Date   string `json:"date,omitempty"`
	Count  int    `json:"count"`
	Source string `json:"source,omitempty"`
	Error  string `json:"error,omitempty"`
	// Partial: the NVD sync has not caught up yet (a first full load
	// spans several mirror runs).
	Partial bool `json:"partial,omitempty"`
}

// CVE is what the feeds say about one CVE id.
type CVE struct {
	NVD  *Metric    `json:"nvd,omitempty"`
	KEV  *KEVEntry  `json:"kev,omitempty"`
	EPSS *EPSSScore `json:"epss,omitempty"`
}

// Set is the data of every feed ingested so far.
type Set struct {
	NVD  map[string]NVDRecord `json:"nvd,omitempty"`
	KEV  map[string]KEVEntry  `json:"kev,omitempty"`
	EPSS map[string]EPSSScore `json:"epss,omitempty"`
	Info map[string]Info      `json:"info,omitempty"`
}

// NewSet returns an empty set.
func NewSet() *Set {
	return &Set{NVD: map[string]NVDRecord{}, KEV: map[string]KEVEntry{}, EPSS: map[string]EPSSScore{}, Info: map[string]Info{}}
}

// Empty reports whether no feed contributed anything.
func (s *Set) Empty() bool {
	return s == nil || len(s.Info) == 0
}

// Lookup returns the feeds' facts for a CVE id.
func (s *Set) Lookup(id string) (CVE, bool) {
	var c CVE
	if s == nil {
		return c, false
	}
	id = strings.ToUpper(id)
	if r, ok := s.NVD[id]; ok && r.Metric != nil {
		m := *r.Metric
		c.NVD = &m
	}
	if k, ok := s.KEV[id]; ok {
		c.KEV = &k
	}
	if e, ok := s.EPSS[id]; ok {
		c.EPSS = &e
	}
	return c, c.NVD != nil || c.KEV != nil || c.EPSS != nil
}

// AddNVD merges NVD records: the newer lastModified wins.
func (s *Set) AddNVD(recs map[string]NVDRecord, date, source string) {
	for id, r := range recs {
		if old, ok := s.NVD[id]; ok && old.LastModified > r.LastModified {
			continue
		}
		s.NVD[id] = r
	}
	in := s.Info[NVD]
	if date > in.Date {
		in.Date = date
	}
	in.Count, in.Source, in.Error = len(s.NVD), joinSource(in.Source, source), ""
	s.Info[NVD] = in
}

// SetKEV replaces the KEV catalog: each release is the whole catalog.
func (s *Set) SetKEV(c Catalog, source string) {
	s.KEV = c.Entries
	s.Info[KEV] = Info{Date: c.Date, Count: len(c.Entries), Source: source}
}

// SetEPSS replaces the EPSS scores: each file is a whole day's scores.
func (s *Set) SetEPSS(f Scores, source string) {
	s.EPSS = f.Scores
	s.Info[EPSS] = Info{Date: f.Date, Count: len(f.Scores), Source: source}
}

// Failed records a failed attempt at a feed; its previous data stays.
func (s *Set) Failed(feed string, err error) {
	in := s.Info[feed]
	in.Error = err.Error()
	s.Info[feed] = in
}

// Failures lists the feeds whose last attempt failed.
func (s *Set) Failures() []string {
	var out []string
	for name, in := range s.Info {
		if in.Error != "" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func joinSource(old, add string) string {
	if old == "" || old == add {
		return add
	}
	for _, p := range strings.Split(old, ", ") {
		if p == add {
			return old
		}
	}
	return old + ", " + add
}

// Only is the set restricted to the named feeds (a feed switched off in
// the settings leaves the index, though the stored state keeps its data).
func (s *Set) Only(names []string) *Set {
	out := NewSet()
	for _, n := range names {
		in, ok := s.Info[n]
		if !ok {
			continue
		}
		out.Info[n] = in
		switch n {
		case NVD:
			out.NVD = s.NVD
		case KEV:
			out.KEV = s.KEV
		case EPSS:
			out.EPSS = s.EPSS
		}
	}
	return out
}
