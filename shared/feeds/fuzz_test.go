package feeds

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseFeeds: any input is either a feed, whose every record has a CVE
// id and scores in range, or an ErrBadFeed — never a panic, never another
// kind of error.
func FuzzParseFeeds(f *testing.F) {
	for _, p := range []string{"nvd/page-0.json", "nvd/page-1.json", "kev/known_exploited_vulnerabilities.json", "epss/epss_scores-2026-11-01.csv"} {
		b, err := os.ReadFile(filepath.Join(testFeeds, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("cve,epss,percentile\nCVE-1,0.5,NaN\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := ParseNVDPage(bytes.NewReader(data)); err != nil {
			if !errors.Is(err, ErrBadFeed) {
				t.Fatalf("NVD: %v is not ErrBadFeed", err)
			}
		} else {
			for id, r := range p.Records {
				if !strings.HasPrefix(id, "CVE-") || (r.Metric != nil && r.Metric.Vector == "") {
					t.Fatalf("NVD record %q %+v", id, r)
				}
			}
		}
		if c, err := ParseKEV(bytes.NewReader(data)); err != nil {
			if !errors.Is(err, ErrBadFeed) {
				t.Fatalf("KEV: %v is not ErrBadFeed", err)
			}
		} else {
			for id, e := range c.Entries {
				if !strings.HasPrefix(id, "CVE-") || e.DateAdded == "" {
					t.Fatalf("KEV entry %q %+v", id, e)
				}
			}
		}
		if s, err := ParseEPSS(bytes.NewReader(data)); err != nil {
			if !errors.Is(err, ErrBadFeed) {
				t.Fatalf("EPSS: %v is not ErrBadFeed", err)
			}
		} else {
			if len(s.Scores) == 0 {
				t.Fatal("EPSS without scores accepted")
			}
			for id, e := range s.Scores {
				if !strings.HasPrefix(id, "CVE-") || !(e.Score >= 0 && e.Score <= 1) || !(e.Percentile >= 0 && e.Percentile <= 1) {
					t.Fatalf("EPSS score %q %+v", id, e)
				}
			}
		}
	})
}
