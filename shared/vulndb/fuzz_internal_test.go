package vulndb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseRecord: any bytes give ErrBadRecord, nothing (withdrawn), or
// advisories that each have an id and are filed under the key of every
// package they list.
func FuzzParseRecord(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "osv", "*", "*.json"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"GIT"},{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`))
	f.Add([]byte(`{"id":" ","affected":[{"package":{"ecosystem":"npm","name":"a"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseRecord(data)
		if err != nil {
			if !errors.Is(err, ErrBadRecord) {
				t.Fatalf("unnamed error: %v", err)
			}
			return
		}
		for _, r := range recs {
			if strings.TrimSpace(r.adv.ID) == "" {
				t.Fatalf("record without an id kept: %+v", r)
			}
			if len(r.adv.Affected) == 0 {
				t.Fatalf("advisory %s filed under %q lists no package", r.adv.ID, r.key)
			}
			for _, a := range r.adv.Affected {
				if Key(a.Ecosystem, a.Name) != r.key {
					t.Fatalf("advisory %s: %s/%s filed under %q", r.adv.ID, a.Ecosystem, a.Name, r.key)
				}
			}
		}
	})
}
