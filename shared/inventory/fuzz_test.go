package inventory_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
	"github.com/lambdascan/lambdascan/shared/inventory"
)

// fuzzNames are the files the lockfile and metadata extractors read.
var fuzzNames = []string{
	"yarn.lock", "pnpm-lock.yaml", "package-lock.json", "node_modules/x/package.json",
	"requirements.txt", "poetry.lock", "Pipfile.lock", "uv.lock", "x-1.0.dist-info/METADATA",
	"Gemfile.lock", "specifications/x-1.0.gemspec", "App.deps.json", "Cargo.lock", "composer.lock",
	"META-INF/maven/g/a/pom.properties",
}

// FuzzLockfiles runs any content, under any lockfile name, through our
// extractor wrappers: the scan never fails, every package names an
// ecosystem, a name and its path under /var/task, every problem has a known
// code and names its file, and a second scan says the same.
func FuzzLockfiles(f *testing.F) {
	seeds := map[string]string{
		"yarn.lock":         "# yarn lockfile v1\n\n\"left-pad@^1.3.0\":\n  version \"1.3.0\"\n",
		"requirements.txt":  "flask==1.0\nrequests>=2\n-r other.txt\n",
		"package-lock.json": `{"name":"x","lockfileVersion":1,"dependencies":{"ms":{"version":"2.1.2"}}}`,
		"Gemfile.lock":      "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)\n",
		"App.deps.json":     `{"libraries":{"Newtonsoft.Json/13.0.1":{"type":"package"}}}`,
		"Cargo.lock":        "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\n",
		"composer.lock":     `{"packages":[{"name":"guzzlehttp/psr7","version":"1.8.1"}]}`,
	}
	for name, body := range seeds {
		f.Add(uint8(slices.Index(fuzzNames, name)), []byte(body))
	}
	codes := []string{inventory.CodeUnsafePath, inventory.CodeSymlink, inventory.CodeZipBomb, inventory.CodeEntryTooLarge,
		inventory.CodeCorruptEntry, inventory.CodeExtractorError, inventory.CodeBundled, inventory.CodeDuplicateEntry}
	lim := archive.DefaultLimits()
	scan := func(t *testing.T, data []byte) *inventory.Result {
		z, err := archive.Open(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			t.Fatalf("our own zip does not open: %v", err)
		}
		res := &inventory.Result{}
		if err := inventory.ScanFS(context.Background(), z, inventory.Origin{Kind: inventory.OriginFunction}, lim, res); err != nil {
			t.Fatalf("scan failed: %v", err)
		}
		return res
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		name := fuzzNames[int(which)%len(fuzzNames)]
		data := archivetest.Zip(archivetest.Entry{Name: name, Body: body})
		res := scan(t, data)
		for _, p := range res.Packages {
			if p.Ecosystem == "" || p.Name == "" {
				t.Fatalf("package without ecosystem or name: %+v", p)
			}
			for _, q := range p.Paths {
				if !strings.HasPrefix(q, "/var/task/") {
					t.Fatalf("package path %q outside the function", q)
				}
			}
		}
		for _, p := range res.Problems {
			if !slices.Contains(codes, p.Code) {
				t.Fatalf("unknown problem code: %+v", p)
			}
			if p.Code != inventory.CodeBundled && p.Path == "" {
				t.Fatalf("problem without a path: %+v", p)
			}
		}
		again := scan(t, data)
		if len(again.Packages) != len(res.Packages) || len(again.Problems) != len(res.Problems) {
			t.Fatalf("second scan differs: %d/%d packages, %d/%d problems", len(again.Packages), len(res.Packages), len(again.Problems), len(res.Problems))
		}
	})
}
