package feeds

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadDir(t *testing.T) {
	s := NewSet()
	found, err := s.LoadDir(testFeeds)
	if err != nil || !found {
		t.Fatalf("LoadDir: found %v, %v", found, err)
	}
	cases := []struct {
		id       string
		by, ver  string
		score    float64
		kev, rw  bool
		epss     float64
		anything bool
	}{
		// NVD's primary metric wins over the CNA's, v3.1 over v2.
		{id: "CVE-2020-0001", by: "nvd", ver: "3.1", score: 9.8, kev: true, rw: true, epss: 0.94311, anything: true},
		// No primary: the CNA's (v4.0) before an ADP's v3.1.
		{id: "CVE-2020-0002", by: "cna", ver: "4.0", score: 6.9, epss: 0.00043, anything: true},
		// Neither: the ADP's.
		{id: "CVE-2020-0003", by: "adp", ver: "3.1", score: 3.7, anything: true},
		// A record without metrics gives nothing.
		{id: "CVE-2020-0004"},
		{id: "cve-2020-0009", kev: true, anything: true},
	}
	for _, c := range cases {
		got, ok := s.Lookup(c.id)
		if ok != c.anything {
			t.Errorf("%s: found %v", c.id, ok)
		}
		if c.by == "" && got.NVD != nil {
			t.Errorf("%s: metric %+v, want none", c.id, got.NVD)
		}
		if c.by != "" && (got.NVD == nil || got.NVD.By != c.by || got.NVD.Version != c.ver || got.NVD.Score != c.score) {
			t.Errorf("%s: metric %+v, want %s %s %.1f", c.id, got.NVD, c.by, c.ver, c.score)
		}
		if (got.KEV != nil) != c.kev || (c.kev && got.KEV.KnownRansomware != c.rw) {
			t.Errorf("%s: kev %+v", c.id, got.KEV)
		}
		if (c.epss == 0) != (got.EPSS == nil) || (got.EPSS != nil && (got.EPSS.Score != c.epss || got.EPSS.Date != "2026-11-01")) {
			t.Errorf("%s: epss %+v", c.id, got.EPSS)
		}
	}
	want := map[string]Info{
		NVD:  {Date: "2026-11-01T10:00:00.000", Count: 6},
		KEV:  {Date: "2026-11-01T12:00:00.000Z", Count: 2},
		EPSS: {Date: "2026-11-01", Count: 2},
	}
	for name, w := range want {
		got := s.Info[name]
		if got.Date != w.Date || got.Count != w.Count || got.Source == "" || got.Error != "" {
			t.Errorf("info %s = %+v, want date %s count %d", name, got, w.Date, w.Count)
		}
	}
}

func TestLoadDirNewestEPSSDayWins(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, EPSSDir), 0o755)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("#model_version:v2025.03.14,score_date:2026-11-02T12:55:00Z\ncve,epss,percentile\nCVE-2020-0001,0.5,0.9\n"))
	zw.Close()
	os.WriteFile(filepath.Join(dir, EPSSDir, "b-older-name.csv.gz"), gz.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, EPSSDir, "z.csv"), []byte("#model_version:v1,score_date:2026-11-01T00:00:00Z\ncve,epss,percentile\nCVE-2020-0001,0.1,0.2\n"), 0o644)
	s := NewSet()
	if _, err := s.LoadDir(dir); err != nil {
		t.Fatal(err)
	}
	if got := s.EPSS["CVE-2020-0001"]; got.Score != 0.5 || got.Date != "2026-11-02" {
		t.Fatalf("got %+v, want the 2026-11-02 gzip file's score", got)
	}
	if _, ok := s.Info[NVD]; ok {
		t.Fatal("no NVD pages, yet an NVD feed is recorded")
	}
}

func TestParseBadInput(t *testing.T) {
	cases := []struct {
		name  string
		parse func() error
	}{
		{"nvd not json", func() error { _, err := ParseNVDPage(strings.NewReader("<html>")); return err }},
		{"nvd wrong format", func() error {
			_, err := ParseNVDPage(strings.NewReader(`{"format":"CPE","totalResults":0,"resultsPerPage":0}`))
			return err
		}},
		{"nvd record without id", func() error {
			_, err := ParseNVDPage(strings.NewReader(`{"format":"NVD_CVE","totalResults":1,"resultsPerPage":1,"vulnerabilities":[{"cve":{}}]}`))
			return err
		}},
		{"kev truncated", func() error {
			_, err := ParseKEV(strings.NewReader(`{"count":2,"vulnerabilities":[{"cveID":"CVE-2020-0001","dateAdded":"2024-01-01"}]}`))
			return err
		}},
		{"kev not a catalog", func() error { _, err := ParseKEV(strings.NewReader(`{"title":"x"}`)); return err }},
		{"epss bad header", func() error { _, err := ParseEPSS(strings.NewReader("a,b,c\n")); return err }},
		{"epss score out of range", func() error {
			_, err := ParseEPSS(strings.NewReader("cve,epss,percentile\nCVE-2020-0001,1.5,0.2\n"))
			return err
		}},
		{"epss empty", func() error { _, err := ParseEPSS(strings.NewReader("cve,epss,percentile\n")); return err }},
		{"epss broken gzip", func() error { _, err := ParseEPSS(bytes.NewReader([]byte{0x1f, 0x8b, 0})); return err }},
	}
	for _, c := range cases {
		if err := c.parse(); !errors.Is(err, ErrBadFeed) {
			t.Errorf("%s: err %v, want ErrBadFeed", c.name, err)
		}
	}
}

func TestParseEPSSWithoutCommentLine(t *testing.T) {
	s, err := ParseEPSS(strings.NewReader("cve,epss,percentile\nCVE-2020-0001,0.1,0.2\n"))
	if err != nil || s.Date != "" || s.Scores["CVE-2020-0001"].Percentile != 0.2 {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func TestFailedFeedKeepsData(t *testing.T) {
	s := NewSet()
	if _, err := s.LoadDir(testFeeds); err != nil {
		t.Fatal(err)
	}
	s.Failed(KEV, errors.New("HTTP 503"))
	if len(s.KEV) != 2 || s.Info[KEV].Count != 2 || s.Info[KEV].Error != "HTTP 503" {
		t.Fatalf("after a failure: %d entries, info %+v", len(s.KEV), s.Info[KEV])
	}
	if f := s.Failures(); len(f) != 1 || f[0] != KEV {
		t.Fatalf("failures %v", f)
	}
}

// testFeeds is a --from folder with the three feeds, shared with the CLI's
// tests.
const testFeeds = "../../testdata/feeds"
