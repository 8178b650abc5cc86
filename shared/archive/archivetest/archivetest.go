// Package archivetest builds zips for tests: deterministic bytes (sorted
// entries, fixed times) so fixtures can be compared and committed.
package archivetest

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Entry is one zip member. Mode 0 means 0644; set fs.ModeSymlink for a link
// (Body is the target) and fs.ModeDir for a directory entry.
type Entry struct {
	Name   string
	Body   []byte
	Mode   fs.FileMode
	Method uint16 // zip.Deflate (default) or zip.Store
}

var fixed = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// Zip returns the bytes of a zip holding the entries in the given order.
func Zip(entries ...Entry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
		}
		h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: fixed}
		if e.Method != 0 || mode&fs.ModeDir != 0 {
			h.Method = e.Method
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write(e.Body); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// ZipDir zips a directory tree with sorted entries, keeping the executable bit.
func ZipDir(dir string) ([]byte, error) {
	var entries []Entry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if info.Mode()&0o111 != 0 {
			mode = 0o755
		}
		entries = append(entries, Entry{Name: filepath.ToSlash(rel), Body: body, Mode: mode})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return Zip(entries...), nil
}
