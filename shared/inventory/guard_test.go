package inventory_test

import (
	"archive/zip"
	"bytes"
	"context"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
	"github.com/lambdascan/lambdascan/shared/inventory"
)

func scanZipLim(t *testing.T, data []byte, lim archive.Limits) *inventory.Result {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pkg.zip")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	r, err := inventory.Scan(context.Background(), []inventory.Source{{Path: p, Origin: inventory.Origin{Kind: inventory.OriginFunction}}}, inventory.Options{Limits: &lim})
	require.NoError(t, err)
	return r
}

// problem finds the problem with the code, or fails.
func problem(t *testing.T, r *inventory.Result, code string) inventory.Problem {
	t.Helper()
	for _, p := range r.Problems {
		if p.Code == code {
			return p
		}
	}
	t.Fatalf("no %s problem in %+v", code, r.Problems)
	return inventory.Problem{}
}

// rawZip holds one entry whose central directory declares `declared` bytes
// for a deflate stream of body: a size lie archive/zip writes as told.
func rawZip(t *testing.T, name string, body []byte, declared uint64) []byte {
	t.Helper()
	var comp bytes.Buffer
	w := zip.NewWriter(&comp)
	h := &zip.FileHeader{Name: name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(body), CompressedSize64: uint64(len(body)), UncompressedSize64: declared}
	raw, err := w.CreateRaw(h)
	require.NoError(t, err)
	_, err = raw.Write(body)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return comp.Bytes()
}

func TestNothingUnreadIsSilent(t *testing.T) {
	lim := archive.DefaultLimits()
	yarn := "# yarn lockfile v1\n\n\"minimist@^1.2.0\":\n  version \"1.2.0\"\n  resolved \"https://registry.yarnpkg.com/minimist/-/" + strings.Repeat("a", 70_000) + ".tgz\"\n\n" +
		"\"lodash@^4.17.15\":\n  version \"4.17.15\"\n  resolved \"https://registry.yarnpkg.com/lodash/-/lodash-4.17.15.tgz\"\n"
	small := lim
	small.MaxEntryBytes = 1 << 10
	deep := strings.Repeat(`{"a":`, 20_000) + "1" + strings.Repeat("}", 20_000)
	tests := []struct {
		name  string
		zip   []byte
		lim   archive.Limits
		code  string
		path  string
		want  string // a package that must still be found
		avoid string // a package that must not be
	}{
		{"yarn.lock line over 64 KiB", archivetest.Zip(archivetest.Entry{Name: "yarn.lock", Body: []byte(yarn)}), lim,
			inventory.CodeExtractorError, "yarn.lock", "npm minimist@1.2.0 function", ""},
		{"Gemfile.lock line over 64 KiB", archivetest.Zip(archivetest.Entry{Name: "Gemfile.lock", Body: []byte("GEM\n  remote: https://rubygems.org/" + strings.Repeat("r", 70_000) + "\n  specs:\n    rack (2.2.3)\n")}), lim,
			inventory.CodeExtractorError, "Gemfile.lock", "", ""},
		{"requirements over the entry cap", archivetest.Zip(archivetest.Entry{Name: "requirements.txt", Body: []byte(strings.Repeat("# pad\n", 400) + "flask==1.0\n")}), small,
			inventory.CodeEntryTooLarge, "requirements.txt", "", ""},
		{"declared size lie", rawZip(t, "requirements.txt", []byte("flask==1.0\n"), 3_900<<20), lim,
			inventory.CodeZipBomb, "requirements.txt", "", ""},
		{"Go build info with a huge length", archivetest.Zip(archivetest.Entry{Name: "bootstrap", Mode: 0o755,
			Body: archivetest.ELF(append([]byte("\xff Go buildinf:\x08\x02"), bytes.Repeat([]byte{0xff}, 40)...))}), lim,
			inventory.CodeExtractorError, "bootstrap", "", ""},
		{"Go build info garbage", archivetest.Zip(archivetest.Entry{Name: "bootstrap", Mode: 0o755,
			Body: archivetest.ELF([]byte("\xff Go buildinf:garbage after the magic, nothing a reader can use"))}), lim,
			inventory.CodeExtractorError, "bootstrap", "", ""},
		{"deps.json not JSON", archivetest.Zip(archivetest.Entry{Name: "App.deps.json", Body: []byte(`{"libraries": {"Newtonsoft.Json/13.0.1": `)}), lim,
			inventory.CodeExtractorError, "App.deps.json", "", ""},
		{"package.json not JSON", archivetest.Zip(archivetest.Entry{Name: "node_modules/x/package.json", Body: []byte(`{"name":"x","version":`)}), lim,
			inventory.CodeExtractorError, "node_modules/x/package.json", "", ""},
		{"package-lock nested past the JSON depth", archivetest.Zip(archivetest.Entry{Name: "package-lock.json", Body: []byte(deep)}), lim,
			inventory.CodeExtractorError, "package-lock.json", "", ""},
		{"duplicate entries: the last wins", archivetest.Zip(
			archivetest.Entry{Name: "requirements.txt", Body: []byte("requests==2.32.0\n")},
			archivetest.Entry{Name: "requirements.txt", Body: []byte("requests==2.25.0\n")}), lim,
			inventory.CodeDuplicateEntry, "requirements.txt", "PyPI requests@2.25.0 function", "PyPI requests@2.32.0 function"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scanZipLim(t, tc.zip, tc.lim)
			p := problem(t, r, tc.code)
			assert.Equal(t, tc.path, p.Path)
			if tc.want != "" {
				assert.Contains(t, lines(r), tc.want)
			}
			if tc.avoid != "" {
				assert.NotContains(t, lines(r), tc.avoid)
			}
		})
	}
}

// Good input stays complete: the checks do not cry wolf.
func TestGuardsKeepGoodInputComplete(t *testing.T) {
	long := "# yarn lockfile v1\n\n\"minimist@^1.2.0\":\n  version \"1.2.0\"\n  resolved \"https://registry.yarnpkg.com/" + strings.Repeat("a", 65_000) + "\"\n"
	r := scanZipLim(t, archivetest.Zip(
		archivetest.Entry{Name: "yarn.lock", Body: []byte(long)},
		archivetest.Entry{Name: "App.deps.json", Body: []byte(`{"libraries":{"App/1.0.0":{"type":"project"}}}`)},
		archivetest.Entry{Name: "bootstrap", Mode: 0o755, Body: archivetest.ELF([]byte("not go at all"))},
		// An egg is a zip, not text: no line limit applies to it.
		archivetest.Entry{Name: "six-1.15.0-py3.9.egg", Body: archivetest.Zip(
			archivetest.Entry{Name: "EGG-INFO/PKG-INFO", Body: []byte("Metadata-Version: 1.1\nName: six\nVersion: 1.15.0\n")},
			archivetest.Entry{Name: "six.so", Body: make([]byte, 200<<10), Stored: true})}, // long runs without a newline
	), archive.DefaultLimits())
	assert.Contains(t, lines(r), "npm minimist@1.2.0 function")
	assert.Contains(t, lines(r), "PyPI six@1.15.0 function")
	assert.Empty(t, codes(r))
}

// jar returns a zip (a jar) of the entries.
func jar(entries ...archivetest.Entry) []byte { return archivetest.Zip(entries...) }

// noise is incompressible: a jar holding it is as large inflated as not.
func noise(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Archives nested in archives share the scan's limits at every level.
func TestNestedArchivesShareTheBudget(t *testing.T) {
	inner := jar(archivetest.Entry{Name: "META-INF/maven/g/inner/pom.properties", Body: []byte("groupId=g\nartifactId=inner\nversion=1.0\n")})
	tests := []struct {
		name string
		lim  func(*archive.Limits)
		top  []byte
		path string
	}{
		{"ratio two levels down", nil,
			jar(archivetest.Entry{Name: "lib/mid.jar", Body: archivetest.Zip(archivetest.Entry{Name: "lib/bomb.jar", Body: make([]byte, 4<<20)})}),
			"app.jar/lib/mid.jar/lib/bomb.jar"},
		{"too many nested archives", func(l *archive.Limits) { l.MaxNestedArchives = 3 },
			jar(archivetest.Entry{Name: "a.jar", Body: inner}, archivetest.Entry{Name: "b.jar", Body: inner},
				archivetest.Entry{Name: "c.jar", Body: inner}, archivetest.Entry{Name: "d.jar", Body: inner}),
			"app.jar"},
		{"nested archives held at once", func(l *archive.Limits) { l.MaxNestedBytes = 50 << 10 },
			jar(archivetest.Entry{Name: "a.jar", Body: jar(archivetest.Entry{Name: "b.jar", Body: jar(archivetest.Entry{Name: "pad", Body: noise(30 << 10)})})}),
			"app.jar/a.jar/b.jar"},
		{"total bytes across levels", func(l *archive.Limits) { l.MaxTotalBytes = 64 << 10 },
			jar(archivetest.Entry{Name: "a.jar", Body: jar(archivetest.Entry{Name: "pad", Body: noise(40 << 10)})}),
			"app.jar/a.jar"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := archive.DefaultLimits()
			if tc.lim != nil {
				tc.lim(&lim)
			}
			r := scanZipLim(t, archivetest.Zip(archivetest.Entry{Name: "app.jar", Body: tc.top}), lim)
			assert.Equal(t, tc.path, problem(t, r, inventory.CodeZipBomb).Path)
		})
	}
	// Within the limits the nested package is found and nothing is reported.
	r := scanZipLim(t, archivetest.Zip(archivetest.Entry{Name: "app.jar", Body: jar(archivetest.Entry{Name: "lib/inner.jar", Body: inner})}), archive.DefaultLimits())
	assert.Contains(t, lines(r), "Maven g:inner@1.0 function")
	assert.Empty(t, codes(r))
}
