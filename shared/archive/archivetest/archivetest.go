// Package archivetest builds zips for tests: deterministic bytes (sorted
// entries, fixed times) so fixtures can be compared and committed.
package archivetest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
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
	Stored bool   // zip.Store (Method cannot say it: zip.Store is 0)
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
		if e.Method != 0 || e.Stored || mode&fs.ModeDir != 0 {
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

// ELF returns a minimal little-endian x86-64 executable whose one writable
// segment holds data: enough for debug/buildinfo to look for Go build info
// there (tests put good, truncated or hostile build info in it).
func ELF(data []byte) []byte {
	const ehdr, phdr = 64, 56
	b := make([]byte, ehdr+phdr, ehdr+phdr+len(data))
	le := binary.LittleEndian
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], 2)    // ET_EXEC
	le.PutUint16(b[18:], 0x3e) // x86-64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], ehdr) // e_phoff
	le.PutUint16(b[52:], ehdr)
	le.PutUint16(b[54:], phdr)
	le.PutUint16(b[56:], 1) // e_phnum
	le.PutUint16(b[58:], 64)
	p := b[ehdr:]
	le.PutUint32(p[0:], 1)         // PT_LOAD
	le.PutUint32(p[4:], 6)         // PF_R|PF_W: a data segment
	le.PutUint64(p[8:], ehdr+phdr) // p_offset
	le.PutUint64(p[16:], 0x10000)  // p_vaddr
	le.PutUint64(p[24:], 0x10000)  // p_paddr
	le.PutUint64(p[32:], uint64(len(data)))
	le.PutUint64(p[40:], uint64(len(data)))
	le.PutUint64(p[48:], 0x1000)
	return append(b, data...)
}

// GoBuildInfo is build info as Go 1.18+ writes it (inline strings): the
// magic, pointer size, flags, padding to 32 bytes, then the version and the
// module info as length-prefixed strings.
func GoBuildInfo(version, modinfo string) []byte {
	b := []byte("\xff Go buildinf:")
	b = append(b, 8, 2) // 8-byte pointers, little-endian, inline strings
	b = append(b, make([]byte, 32-len(b))...)
	b = binary.AppendUvarint(b, uint64(len(version)))
	b = append(b, version...)
	b = binary.AppendUvarint(b, uint64(len(modinfo)))
	return append(b, modinfo...)
}
