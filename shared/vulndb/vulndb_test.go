package vulndb_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

const testOSV = "../../testdata/osv"

var fixedNow = func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }

func build(t *testing.T, opt vulndb.BuildOptions) (*vulndb.DB, vulndb.Info) {
	t.Helper()
	if opt.Now == nil {
		opt.Now = fixedNow
	}
	out := filepath.Join(t.TempDir(), "osv.lsdb")
	info, err := vulndb.BuildFile(context.Background(), opt, out)
	require.NoError(t, err)
	db, err := vulndb.Open(out)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, info
}

// exportDir turns the loose testdata records into the OSV export layout
// (<Ecosystem>/all.zip), as the public bucket and ../shared/osv have it.
func exportDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ecos, err := os.ReadDir(testOSV)
	require.NoError(t, err)
	for _, e := range ecos {
		files, _ := filepath.Glob(filepath.Join(testOSV, e.Name(), "*.json"))
		var entries []archivetest.Entry
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			entries = append(entries, archivetest.Entry{Name: filepath.Base(f), Body: b})
		}
		require.NoError(t, os.MkdirAll(filepath.Join(dir, e.Name()), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, e.Name(), "all.zip"), archivetest.Zip(entries...), 0o644))
	}
	return dir
}

func TestBuildAndLookup(t *testing.T) {
	db, info := build(t, vulndb.BuildOptions{Sources: []string{exportDir(t)}})
	assert.Equal(t, 1, info.Skipped.Withdrawn, "GHSA-27h2-hvpr-p74q is withdrawn")
	assert.Equal(t, 6, info.Ecosystems["npm"].Records)
	assert.Regexp(t, `^20261101T120000Z-[0-9a-f]{12}$`, info.Version)

	lodash, err := db.Lookup("npm", "lodash")
	require.NoError(t, err)
	var ids []string
	for _, a := range lodash {
		ids = append(ids, a.ID)
		for _, aff := range a.Affected {
			assert.Equal(t, "lodash", aff.Name, "only the looked-up package's affected entries are kept")
		}
	}
	assert.Equal(t, []string{"GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw"}, ids)

	jwt, err := db.Lookup("npm", "jsonwebtoken")
	require.NoError(t, err)
	assert.Empty(t, jwt, "withdrawn records are skipped")

	// PEP 503: PyYAML, pyyaml and pyYAML are one package.
	for _, name := range []string{"PyYAML", "pyyaml", "pyYAML"} {
		advs, err := db.Lookup("PyPI", name)
		require.NoError(t, err)
		assert.Len(t, advs, 2, name)
	}
	none, err := db.Lookup("npm", "no-such-package")
	require.NoError(t, err)
	assert.Nil(t, none)
}

func TestLooseFolderAndZipGiveTheSameIndex(t *testing.T) {
	_, fromZip := build(t, vulndb.BuildOptions{Sources: []string{exportDir(t)}})
	_, fromDir := build(t, vulndb.BuildOptions{Sources: []string{testOSV}})
	assert.Equal(t, fromZip.ContentHash, fromDir.ContentHash)
	assert.Equal(t, fromZip.Version, fromDir.Version)
}

func TestBuildOverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir(exportDir(t))))
	defer srv.Close()
	db, info := build(t, vulndb.BuildOptions{Sources: []string{srv.URL}})
	assert.Equal(t, 4, info.Ecosystems["PyPI"].Records)
	_, missing := info.Ecosystems["crates.io"]
	assert.False(t, missing, "an ecosystem the mirror does not have (404) is left out")
	advs, err := db.Lookup("Maven", "org.apache.logging.log4j:log4j-core")
	require.NoError(t, err)
	require.Len(t, advs, 1)
	assert.Equal(t, "GHSA-jfh8-c2jp-5v3q", advs[0].ID)

	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer broken.Close()
	_, err = vulndb.Build(context.Background(), vulndb.BuildOptions{Sources: []string{broken.URL}}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "HTTP 503")
}

func TestRequestedEcosystems(t *testing.T) {
	_, info := build(t, vulndb.BuildOptions{Sources: []string{testOSV}, Ecosystems: []string{"pypi", "NPM"}})
	assert.Contains(t, info.Ecosystems, "PyPI", "names are matched case-insensitively")
	assert.Contains(t, info.Ecosystems, "npm")
	_, err := vulndb.Build(context.Background(), vulndb.BuildOptions{Sources: []string{testOSV}, Ecosystems: []string{"npm", "crates.io"}}, &bytes.Buffer{})
	assert.ErrorIs(t, err, vulndb.ErrNoData, "crates.io was asked for and is not there")
}

func TestNoData(t *testing.T) {
	_, err := vulndb.Build(context.Background(), vulndb.BuildOptions{Sources: []string{t.TempDir()}}, &bytes.Buffer{})
	assert.ErrorIs(t, err, vulndb.ErrNoData)
}

func TestCorruptIndex(t *testing.T) {
	var good bytes.Buffer
	_, err := vulndb.Build(context.Background(), vulndb.BuildOptions{Sources: []string{testOSV}, Now: fixedNow}, &good)
	require.NoError(t, err)
	b := good.Bytes()
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, vulndb.ErrNotIndex},
		{"other file", []byte("PK\x03\x04 this is a zip, not an index"), vulndb.ErrNotIndex},
		{"truncated header", b[:20], vulndb.ErrCorrupt},
		{"truncated body", b[:len(b)/2], vulndb.ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := vulndb.OpenReader(bytes.NewReader(tc.data), int64(len(tc.data)))
			assert.True(t, errors.Is(err, tc.want), "got %v", err)
		})
	}
	// A flipped byte in a block is found at lookup, as a named error.
	bad := append([]byte(nil), b...)
	bad[len(bad)-5] ^= 0xff
	db, err := vulndb.OpenReader(bytes.NewReader(bad), int64(len(bad)))
	require.NoError(t, err)
	var lookupErr error
	for _, k := range []struct{ eco, name string }{{"npm", "underscore"}, {"PyPI", "urllib3"}, {"PyPI", "requests"}, {"PyPI", "pyyaml"}, {"npm", "minimist"}} {
		if _, err := db.Lookup(k.eco, k.name); err != nil {
			lookupErr = err
		}
	}
	assert.ErrorIs(t, lookupErr, vulndb.ErrCorrupt)
}

func TestParseRecord(t *testing.T) {
	recs, err := vulndb.ParseRecord([]byte(`{"id":"GHSA-x","aliases":["CVE-1"],"summary":"s","database_specific":{"severity":"moderate"},
	  "affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]},
	              {"package":{"ecosystem":"Maven","name":"org.webjars.npm:a"},"versions":["0.9"]},
	              {"ranges":[{"type":"GIT","repo":"https://example.com/a","events":[{"introduced":"0"}]}]}]}`))
	require.NoError(t, err)
	require.Len(t, recs, 2, "one per package; GIT-only entries name no package")

	_, err = vulndb.ParseRecord([]byte(`{"affected":[]}`))
	assert.ErrorIs(t, err, vulndb.ErrBadRecord)
	_, err = vulndb.ParseRecord([]byte(`not json`))
	assert.ErrorIs(t, err, vulndb.ErrBadRecord)
	recs, err = vulndb.ParseRecord([]byte(`{"id":"X","withdrawn":"2023-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"}}]}`))
	assert.NoError(t, err)
	assert.Nil(t, recs)
}

// Header values chosen to overflow size arithmetic must give ErrCorrupt.
func TestCraftedHeader(t *testing.T) {
	for _, hdr := range []string{
		`{"format":2,"keys":2305843009213693952,"blob_len":0}`,
		`{"format":2,"keys":0,"blob_len":9223372036854775807}`,
		`{"format":2,"keys":-1,"blob_len":0}`,
	} {
		var b bytes.Buffer
		b.WriteString("LSVDB\x00\x01\n")
		n := uint32(len(hdr))
		b.Write([]byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)})
		b.WriteString(hdr)
		b.Write(make([]byte, 64))
		_, err := vulndb.OpenReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
		assert.ErrorIs(t, err, vulndb.ErrCorrupt, hdr)
	}
}
