package archive_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
)

// FuzzOpen: any bytes either fail with a named error or give an FS whose
// paths are all safe, whose every file reads back exactly its reported size
// (or fails with a named error, recorded with its path), and which never
// inflates past its byte budget.
func FuzzOpen(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/packages/*.zip")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add(archivetest.Zip(archivetest.Entry{Name: "../x", Body: []byte("a")}, archivetest.Entry{Name: "a/b/c.txt", Body: []byte("b")}))
	f.Add(archivetest.Zip(archivetest.Entry{Name: "dup", Body: []byte("a")}, archivetest.Entry{Name: "dup", Body: []byte("bb")}, archivetest.Entry{Name: `C:\x`}))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	lim := archive.DefaultLimits()
	lim.MaxTotalBytes = 64 << 20
	lim.MaxEntryBytes = 16 << 20
	named := []error{archive.ErrNotZip, archive.ErrCorrupt, archive.ErrZipBomb, archive.ErrEntryTooLarge, archive.ErrTooManyEntries}
	isNamed := func(err error) bool {
		for _, n := range named {
			if errors.Is(err, n) {
				return true
			}
		}
		return false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		z, err := archive.Open(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			if !isNamed(err) {
				t.Fatalf("unnamed error: %v", err)
			}
			return
		}
		for _, p := range z.Files() {
			if !fs.ValidPath(p) || strings.Contains(p, "\\") || strings.HasPrefix(p, "/") || path.IsAbs(p) || len(p) > 1 && p[1] == ':' {
				t.Fatalf("unsafe path %q served", p)
			}
			for _, el := range strings.Split(p, "/") {
				if el == ".." {
					t.Fatalf("traversal path %q served", p)
				}
			}
			info, err := z.Stat(p)
			if err != nil {
				t.Fatalf("listed file %q does not stat: %v", p, err)
			}
			body, err := fs.ReadFile(z, p)
			if err != nil {
				if !isNamed(err) {
					t.Fatalf("%s: unnamed error: %v", p, err)
				}
				continue
			}
			if int64(len(body)) != info.Size() {
				t.Fatalf("%s: read %d bytes, reported size %d", p, len(body), info.Size())
			}
		}
		if z.OpenedBytes() > lim.MaxTotalBytes {
			t.Fatalf("opened %d bytes, over the limit", z.OpenedBytes())
		}
		for _, p := range z.Problems() {
			if p.Err == nil {
				t.Fatalf("problem without an error: %+v", p)
			}
		}
	})
}
