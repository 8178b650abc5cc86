package vulndb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// BenchmarkOpen measures what the scanner pays on every cold start: opening
// the index built from ../shared/osv (all of Go, PyPI, crates.io), or from
// testdata when ../shared is absent, and one lookup.
func BenchmarkOpen(b *testing.B) {
	src := filepath.Join("..", "..", "..", "shared", "osv")
	if _, err := os.Stat(src); err != nil {
		src = testOSV
	}
	out := filepath.Join(b.TempDir(), "osv.lsdb")
	info, err := vulndb.BuildFile(context.Background(), vulndb.BuildOptions{Sources: []string{src}}, out)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(info.Keys), "keys")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		db, err := vulndb.Open(out)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Lookup("Go", "stdlib"); err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}
