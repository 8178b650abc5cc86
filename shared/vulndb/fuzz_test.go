package vulndb_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// FuzzParseRecord: the OSV ingest never panics and never keeps a record
// without an id.
func FuzzParseRecord(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(testOSV, "*", "*.json"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"GIT"},{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := vulndb.ParseRecord(data)
		if err != nil {
			return
		}
		_ = recs
	})
}

// FuzzOpenIndex: a damaged index opens with an error or answers lookups
// with results or errors, never a panic.
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
			_, _ = db.Lookup(k[0], k[1])
		}
	})
}
