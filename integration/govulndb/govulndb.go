// Package govulndb writes the Go vulnerability database's offline layout
// (index/db.json, index/modules.json, ID/<id>.json) from an OSV Go export
// zip, so govulncheck can run with -db file:///DIR on the same records as
// our index. It is test tooling for the reachability accuracy check.
package govulndb

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

type record struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Affected []struct {
		Package struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	// fixed is left out: govulncheck then fetches every record of the
	// module and decides on the ranges itself.
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

// Write builds the layout in dir from the export zip; it returns the number
// of records written.
func Write(zipPath, dir string) (int, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return 0, err
	}
	defer zr.Close()
	if err := os.MkdirAll(filepath.Join(dir, "ID"), 0o755); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "index"), 0o755); err != nil {
		return 0, err
	}
	mods := map[string]*module{}
	var latest time.Time
	n := 0
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".json") || strings.Contains(f.Name, "/") {
			continue
		}
		raw, err := readAll(f)
		if err != nil {
			return n, err
		}
		var r record
		if err := json.Unmarshal(raw, &r); err != nil || r.ID == "" {
			return n, fmt.Errorf("%s: not an OSV record: %v", f.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ID", r.ID+".json"), raw, 0o644); err != nil {
			return n, err
		}
		n++
		if r.Modified.After(latest) {
			latest = r.Modified
		}
		seen := map[string]bool{}
		for _, a := range r.Affected {
			p := a.Package.Name
			if a.Package.Ecosystem != "Go" || p == "" || seen[p] {
				continue
			}
			seen[p] = true
			m := mods[p]
			if m == nil {
				m = &module{Path: p}
				mods[p] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: r.ID, Modified: r.Modified})
		}
	}
	list := make([]*module, 0, len(mods))
	for _, m := range mods {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	if err := writeJSON(filepath.Join(dir, "index", "modules.json"), list); err != nil {
		return n, err
	}
	return n, writeJSON(filepath.Join(dir, "index", "db.json"), map[string]time.Time{"modified": latest})
}

func readAll(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 32<<20))
}

func writeJSON(p string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}
