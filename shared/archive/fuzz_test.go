package archive_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
)

// FuzzOpen: any bytes either fail with an error or give an FS whose every
// file can be walked and read without panicking or escaping the limits.
func FuzzOpen(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/packages/*.zip")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add(archivetest.Zip(archivetest.Entry{Name: "../x", Body: []byte("a")}, archivetest.Entry{Name: "a/b/c.txt", Body: []byte("b")}))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	lim := archive.DefaultLimits()
	lim.MaxTotalBytes = 64 << 20
	lim.MaxEntryBytes = 16 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		z, err := archive.Open(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			return
		}
		_ = fs.WalkDir(z, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			_, _ = fs.ReadFile(z, p)
			return nil
		})
		if z.OpenedBytes() > lim.MaxTotalBytes {
			t.Fatalf("opened %d bytes, over the limit", z.OpenedBytes())
		}
	})
}
