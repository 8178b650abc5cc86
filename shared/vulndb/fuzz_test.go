package vulndb_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// FuzzOpenIndex: a damaged index opens with a named error, or answers
// lookups with ErrCorrupt or advisories that have ids, the same each time.
func FuzzOpenIndex(f *testing.F) {
	var good bytes.Buffer
	if _, err := vulndb.Build(context.Background(), vulndb.BuildOptions{Sources: []string{testOSV}, Now: fixedNow}, &good); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:100])
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := vulndb.OpenReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, k := range [][2]string{{"npm", "lodash"}, {"PyPI", "urllib3"}, {"Maven", "org.apache.logging.log4j:log4j-core"}} {
			advs, err := db.Lookup(k[0], k[1])
			if err != nil {
				if !errors.Is(err, vulndb.ErrCorrupt) {
					t.Fatalf("unnamed lookup error: %v", err)
				}
				continue
			}
			for _, a := range advs {
				if strings.TrimSpace(a.ID) == "" {
					t.Fatalf("advisory without an id for %v", k)
				}
			}
			// A second lookup (cached) answers the same.
			again, err := db.Lookup(k[0], k[1])
			if err != nil || len(again) != len(advs) {
				t.Fatalf("second lookup differs: %d vs %d advisories, %v", len(again), len(advs), err)
			}
		}
	})
}
