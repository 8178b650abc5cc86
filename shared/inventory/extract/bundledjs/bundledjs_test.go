package bundledjs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/simplefileapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/inventory/extract/bundledjs"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		size int64
		want bool
	}{
		{"index.js", 10, true},
		{"dist/app.mjs", 10, true},
		{"dist/app.js.map", 10, true},
		{"licenses.txt", 10, true},
		{"dist/main.js.LICENSE.txt", 10, true},
		{"meta.json", 10, true},
		{"build/stats.json", 10, true},
		{"node_modules/lodash/lodash.js", 10, false},
		{"nodejs/node_modules/a/index.js", 10, false},
		{"package.json", 10, false},
		{"README.md", 10, false},
		{"index.js", 0, false},
		{"index.js", bundledjs.DefaultMaxFileBytes + 1, false},
		{"var/runtime/index.mjs", 10, false},
		{"var/task/index.mjs", 10, true},
	}
	e := bundledjs.NewWith(bundledjs.Config{SkipDirs: []string{"var/runtime"}})
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.path, tc.size), func(t *testing.T) {
			api := simplefileapi.New(tc.path, fakeInfo{name: filepath.Base(tc.path), size: tc.size})
			assert.Equal(t, tc.want, e.FileRequired(api))
		})
	}
}

// pkgs renders "name@version [evidence,...]".
func extract(t *testing.T, e filesystem.Extractor, file string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	require.NoError(t, err)
	defer f.Close()
	info, err := f.Stat()
	require.NoError(t, err)
	inv, err := e.Extract(context.Background(), &filesystem.ScanInput{Path: file, Info: info, Reader: f})
	require.NoError(t, err)
	out := []string{}
	for _, p := range inv.Packages {
		m := p.Metadata.(*bundledjs.Metadata)
		assert.Equal(t, file, m.File)
		out = append(out, p.Name+"@"+p.Version+" "+strings.Join(m.Evidence, ","))
	}
	sort.Strings(out)
	return out
}

func TestExtract(t *testing.T) {
	tests := []struct {
		file    string
		want    []string
		bundle  *bundledjs.Bundle
		comment string
	}{
		{file: "esbuild/index.js", comment: "path comments, VERSION constants in the module sections",
			want:   []string{"handlebars@4.5.3 module-path,version-constant", "node-fetch@ module-path", "underscore@1.12.0 module-path,version-constant"},
			bundle: &bundledjs.Bundle{Bundler: "esbuild"}},
		{file: "esbuild-min/index.js", comment: "minified: versions only next to a library signature",
			want:   []string{"handlebars@4.5.3 signature", "underscore@1.12.0 signature"},
			bundle: &bundledjs.Bundle{Bundler: "esbuild", Minified: true}},
		{file: "webpack-min/main.js", comment: "minified webpack: lodash and moment signatures",
			want:   []string{"lodash@4.17.21 signature", "moment@2.29.1 signature"},
			bundle: &bundledjs.Bundle{Bundler: "webpack", Minified: true}},
		{file: "webpack-min/main.js.LICENSE.txt", comment: "terser's extracted banners",
			want:   []string{"axios@1.6.0 license-banner", "react@16.13.1 license-banner"},
			bundle: &bundledjs.Bundle{Bundler: "webpack"}},
		{file: "ncc/index.js", comment: "ncc (webpack and terser): underscore without its define() name, handlebars",
			want:   []string{"handlebars@4.5.3 signature", "underscore@1.12.0 signature"},
			bundle: &bundledjs.Bundle{Bundler: "ncc", Minified: true}},
		{file: "ncc/licenses.txt", comment: "names without versions",
			want:   []string{"@aws-sdk/client-s3@ licenses-txt", "jsonwebtoken@ licenses-txt", "lru-cache@ licenses-txt"},
			bundle: &bundledjs.Bundle{Bundler: "ncc"}},
		{file: "metafile/meta.json", comment: "esbuild metafile inputs",
			want:   []string{"@smithy/types@ metafile", "axios@ metafile"},
			bundle: &bundledjs.Bundle{Bundler: "esbuild"}},
		{file: "metafile/stats.json", comment: "webpack stats modules",
			want: []string{"ms@ metafile"}, bundle: &bundledjs.Bundle{Bundler: "webpack"}},
		{file: "metafile/other.meta.json", comment: "other JSON is not a metafile", want: []string{}},
		{file: "sourcemap/index.js.map", comment: "sources, and a version constant in sourcesContent",
			want:   []string{"jsonwebtoken@ sourcemap", "ms@ sourcemap", "semver@7.5.1 sourcemap,version-constant"},
			bundle: &bundledjs.Bundle{}},
		{file: "plain/index.js", comment: "a plain handler is not a bundle", want: []string{}},
		{file: "plain/licenses.txt", comment: "a project's own licenses.txt is not a bundle's", want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			e, err := bundledjs.New(nil)
			require.NoError(t, err)
			assert.Equal(t, tc.want, extract(t, e, tc.file), tc.comment)
			got := e.(*bundledjs.Extractor).Bundles()
			if tc.bundle == nil {
				assert.Empty(t, got)
				return
			}
			want := *tc.bundle
			want.Path = tc.file
			want.Packages = len(tc.want)
			assert.Equal(t, []bundledjs.Bundle{want}, got)
		})
	}
}

// Signatures take only a version literal in their window: a far-away
// literal is not a version of the library.
func TestSignatureWindow(t *testing.T) {
	src := `var __webpack_require__;var v="9.9.9";` + strings.Repeat("x", 1000) + `a.COMPILER_REVISION=8;`
	e, _ := bundledjs.New(nil)
	inv, err := e.Extract(context.Background(), &filesystem.ScanInput{Path: "index.js", Reader: strings.NewReader(src)})
	require.NoError(t, err)
	assert.Empty(t, inv.Packages)
}

// One long line full of markers: every marker is not alone on its line,
// so none is a path comment, and the webpack-style ids still name p.
func TestOneLongLine(t *testing.T) {
	line := strings.Repeat("x=1;// node_modules/p/i.js ", 40000) // ~1 MiB, no newline
	e, _ := bundledjs.New(nil)
	inv, err := e.Extract(context.Background(), &filesystem.ScanInput{Path: "index.js", Reader: strings.NewReader(line)})
	require.NoError(t, err)
	require.Len(t, inv.Packages, 1)
	assert.Equal(t, "p", inv.Packages[0].Name)
}

// The scan must stay linear on one long line (a quadratic one shows here).
func BenchmarkOneLongLine(b *testing.B) {
	line := strings.Repeat("x=1;// node_modules/p/i.js ", 40000)
	e, _ := bundledjs.New(nil)
	for b.Loop() {
		_, _ = e.Extract(context.Background(), &filesystem.ScanInput{Path: "index.js", Reader: strings.NewReader(line)})
	}
}

type fakeInfo struct {
	os.FileInfo
	name string
	size int64
}

func (f fakeInfo) Name() string { return f.name }
func (f fakeInfo) Size() int64  { return f.size }
func (f fakeInfo) IsDir() bool  { return false }

// The contract on any input: names are npm names, a version is only given
// as a dotted number the input spelled out, and every package says how it
// was found.
func FuzzExtract(f *testing.F) {
	for _, file := range []string{"esbuild/index.js", "esbuild-min/index.js", "webpack-min/main.js", "ncc/licenses.txt", "metafile/meta.json", "sourcemap/index.js.map"} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(file, b)
	}
	reName := regexp.MustCompile(`^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9_.~-]*$`)
	reVersion := regexp.MustCompile(`^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$`)
	f.Fuzz(func(t *testing.T, file string, data []byte) {
		e := bundledjs.NewWith(bundledjs.Config{})
		for _, name := range []string{"index.js", "x.js.map", "licenses.txt", "meta.json"} {
			inv, err := e.Extract(context.Background(), &filesystem.ScanInput{Path: name, Reader: bytes.NewReader(data)})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range inv.Packages {
				if !reName.MatchString(strings.ToLower(p.Name)) {
					t.Errorf("%s: name %q", name, p.Name)
				}
				if p.Version != "" && (!reVersion.MatchString(p.Version) || !bytes.Contains(data, []byte(p.Version))) {
					t.Errorf("%s: version %q not in the input", name, p.Version)
				}
				if m := p.Metadata.(*bundledjs.Metadata); len(m.Evidence) == 0 {
					t.Errorf("%s: %s without evidence", name, p.Name)
				}
			}
		}
	})
}
