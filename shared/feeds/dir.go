package feeds

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Where the feeds sit in a --from folder.
const (
	NVDDir  = "nvd"                                      // NVD CVE API 2.0 pages, *.json
	KEVFile = "kev/known_exploited_vulnerabilities.json" // CISA's catalog
	EPSSDir = "epss"                                     // FIRST's csv or csv.gz
)

// IsFeedDir reports whether a folder name inside a --from folder is a feed
// folder (so the OSV ingest does not take it for an ecosystem).
func IsFeedDir(name string) bool {
	return name == NVDDir || name == "kev" || name == EPSSDir
}

// LoadDir adds the feeds found in dir to s; it reports whether there were
// any. A feed file that is present but unreadable is an error: building an
// index without data the caller pointed at is not a quiet outcome.
func (s *Set) LoadDir(dir string) (bool, error) {
	found := false
	pages, _ := filepath.Glob(filepath.Join(dir, NVDDir, "*.json"))
	sort.Strings(pages)
	for _, p := range pages {
		f, err := os.Open(p)
		if err != nil {
			return found, err
		}
		pg, err := ParseNVDPage(f)
		f.Close()
		if err != nil {
			return found, fmt.Errorf("%s: %w", p, err)
		}
		s.AddNVD(pg.Records, pg.Timestamp, filepath.Join(dir, NVDDir))
		found = true
	}
	kev := filepath.Join(dir, filepath.FromSlash(KEVFile))
	if f, err := os.Open(kev); err == nil {
		c, err := ParseKEV(f)
		f.Close()
		if err != nil {
			return found, fmt.Errorf("%s: %w", kev, err)
		}
		s.SetKEV(c, kev)
		found = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return found, err
	}
	var epss []string
	for _, pat := range []string{"*.csv", "*.csv.gz"} {
		m, _ := filepath.Glob(filepath.Join(dir, EPSSDir, pat))
		epss = append(epss, m...)
	}
	sort.Strings(epss)
	for _, p := range epss {
		f, err := os.Open(p)
		if err != nil {
			return found, err
		}
		sc, err := ParseEPSS(f)
		f.Close()
		if err != nil {
			return found, fmt.Errorf("%s: %w", p, err)
		}
		// Several days' files: the newest day's scores are the ones to use.
		if cur, ok := s.Info[EPSS]; !ok || strings.Compare(sc.Date, cur.Date) >= 0 {
			s.SetEPSS(sc, p)
		}
		found = true
	}
	return found, nil
}
