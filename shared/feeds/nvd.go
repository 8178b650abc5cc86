package feeds

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrBadFeed marks feed data that is not in its publisher's format.
var ErrBadFeed = errors.New("malformed feed")

// nvdPage is the part of an NVD CVE API 2.0 response we read.
type nvdPage struct {
	ResultsPerPage  *int   `json:"resultsPerPage"`
	StartIndex      int    `json:"startIndex"`
	TotalResults    *int   `json:"totalResults"`
	Format          string `json:"format"`
	Timestamp       string `json:"timestamp"`
	Vulnerabilities []struct {
		CVE nvdCVE `json:"cve"`
	} `json:"vulnerabilities"`
}

type nvdCVE struct {
	ID               string                 `json:"id"`
	SourceIdentifier string                 `json:"sourceIdentifier"`
	LastModified     string                 `json:"lastModified"`
	Metrics          map[string][]nvdMetric `json:"metrics"`
}

type nvdMetric struct {
	Source   string `json:"source"`
	Type     string `json:"type"` // Primary (NVD) or Secondary (CNA, ADP)
	CVSSData struct {
		Version      string  `json:"version"`
		VectorString string  `json:"vectorString"`
		BaseScore    float64 `json:"baseScore"`
	} `json:"cvssData"`
}

// Page is one parsed NVD API 2.0 response page.
type Page struct {
	StartIndex     int
	ResultsPerPage int
	TotalResults   int
	Timestamp      string // when NVD produced the page
	Records        map[string]NVDRecord
}

// metric arrays, newest CVSS version first.
var nvdMetricKeys = []string{"cvssMetricV40", "cvssMetricV31", "cvssMetricV30", "cvssMetricV2"}

// ParseNVDPage reads one NVD CVE API 2.0 response.
func ParseNVDPage(r io.Reader) (Page, error) {
	var raw nvdPage
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return Page{}, fmt.Errorf("%w: NVD page: %v", ErrBadFeed, err)
	}
	if raw.Format != "NVD_CVE" || raw.TotalResults == nil || raw.ResultsPerPage == nil {
		return Page{}, fmt.Errorf("%w: not an NVD CVE API 2.0 response (format %q)", ErrBadFeed, raw.Format)
	}
	p := Page{StartIndex: raw.StartIndex, ResultsPerPage: *raw.ResultsPerPage, TotalResults: *raw.TotalResults,
		Timestamp: raw.Timestamp, Records: make(map[string]NVDRecord, len(raw.Vulnerabilities))}
	for _, v := range raw.Vulnerabilities {
		id := strings.ToUpper(v.CVE.ID)
		if !strings.HasPrefix(id, "CVE-") {
			return Page{}, fmt.Errorf("%w: NVD record without a CVE id (%q)", ErrBadFeed, v.CVE.ID)
		}
		p.Records[id] = NVDRecord{LastModified: v.CVE.LastModified, Metric: pickMetric(v.CVE)}
	}
	return p, nil
}

// pickMetric takes NVD's own (Primary) metric, else the CNA's, else an
// ADP's; within each, the newest CVSS version. The ADP step is what gives
// the many CVEs NVD has not analysed (most of the Go ones) a rating: CISA's
// ADP scores them while NVD's queue does not.
func pickMetric(c nvdCVE) *Metric {
	for _, by := range []string{"nvd", "cna", "adp"} {
		for _, key := range nvdMetricKeys {
			for _, m := range c.Metrics[key] {
				if metricBy(m, c.SourceIdentifier) != by || m.CVSSData.VectorString == "" {
					continue
				}
				return &Metric{Version: m.CVSSData.Version, Vector: m.CVSSData.VectorString, Score: m.CVSSData.BaseScore, By: by}
			}
		}
	}
	return nil
}

func metricBy(m nvdMetric, cna string) string {
	switch {
	case m.Type == "Primary":
		return "nvd"
	case m.Source != "" && m.Source == cna:
		return "cna"
	}
	return "adp"
}
