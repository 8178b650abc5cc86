package localstack

import (
	"os"
	"path/filepath"
	"sort"

	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
)

// ExportDir lays out src as the OSV export bucket does (<Ecosystem>/all.zip)
// in a new temporary folder, zipping folders of loose records; it returns
// the folder and the ecosystems in it.
func ExportDir(src string) (string, []string, error) {
	dst, err := os.MkdirTemp("", "lambdascan-osv-export-")
	if err != nil {
		return "", nil, err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return "", nil, err
	}
	var ecos []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		out := filepath.Join(dst, e.Name(), "all.zip")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return "", nil, err
		}
		var body []byte
		if b, err := os.ReadFile(filepath.Join(src, e.Name(), "all.zip")); err == nil {
			body = b
		} else {
			files, _ := filepath.Glob(filepath.Join(src, e.Name(), "*.json"))
			if len(files) == 0 {
				continue
			}
			sort.Strings(files)
			var entries []archivetest.Entry
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					return "", nil, err
				}
				entries = append(entries, archivetest.Entry{Name: filepath.Base(f), Body: b})
			}
			body = archivetest.Zip(entries...)
		}
		if err := os.WriteFile(out, body, 0o644); err != nil {
			return "", nil, err
		}
		ecos = append(ecos, e.Name())
	}
	return dst, ecos, nil
}
