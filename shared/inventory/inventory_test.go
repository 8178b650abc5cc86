package inventory_test

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
	"github.com/lambdascan/lambdascan/shared/inventory"
)

var update = flag.Bool("update", false, "rewrite testdata/packages/*.zip from testdata/packages/src")

const fixtures = "../../testdata/packages"

// pkgLine renders a package compactly for table comparisons.
func pkgLine(p inventory.Package) string {
	s := fmt.Sprintf("%s %s@%s %s", p.Ecosystem, p.Name, p.Version, p.Origin.Kind)
	if p.Bundled {
		s += " bundled"
	}
	return s
}

func lines(r *inventory.Result) []string {
	out := []string{}
	for _, p := range r.Packages {
		out = append(out, pkgLine(p))
	}
	sort.Strings(out)
	return out
}

func scanZip(t *testing.T, data []byte, origin inventory.Origin) *inventory.Result {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pkg.zip")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	r, err := inventory.Scan(context.Background(), []inventory.Source{{Path: p, Origin: origin}}, inventory.Options{})
	require.NoError(t, err)
	return r
}

func codes(r *inventory.Result) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.Code)
	}
	return out
}

// The sample packages (also used by make demo): zipped, scanned from the zip.
func TestSamplePackages(t *testing.T) {
	tests := []struct {
		dir      string
		want     []string
		problems []string
		path     string // a path one of the packages must carry
	}{
		{"node-api", []string{"npm lodash@4.17.15 function", "npm minimist@1.2.0 function"}, nil,
			"/var/task/node_modules/lodash/package.json"},
		{"python-requirements", []string{"PyPI idna@2.10 function", "PyPI requests@2.25.0 function", "PyPI urllib3@1.26.4 function"}, nil,
			"/var/task/requirements.txt"},
		{"layer-python-yaml", []string{"PyPI PyYAML@5.3 layer"}, nil,
			"/opt/python/lib/python3.11/site-packages/PyYAML-5.3.dist-info/METADATA"},
		{"node-bundle", []string{"npm node-fetch@ function bundled", "npm underscore@1.12.0 function bundled"}, []string{inventory.CodeBundled},
			"/var/task/index.js"},
		{"java-shaded", []string{"Maven org.apache.logging.log4j:log4j-core@2.14.1 function"}, nil,
			"/var/task/META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties"},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			data, err := archivetest.ZipDir(filepath.Join(fixtures, "src", tc.dir))
			require.NoError(t, err)
			r := scanZip(t, data, inventory.Origin{})
			assert.Equal(t, tc.want, lines(r))
			assert.Equal(t, tc.problems, codes(r))
			var paths []string
			for _, p := range r.Packages {
				paths = append(paths, p.Paths...)
			}
			assert.Contains(t, paths, tc.path)

			// A directory gives the same inventory as its zip.
			rd, err := inventory.Scan(context.Background(), []inventory.Source{{Path: filepath.Join(fixtures, "src", tc.dir)}}, inventory.Options{})
			require.NoError(t, err)
			assert.Equal(t, tc.want, lines(rd))

			zipPath := filepath.Join(fixtures, tc.dir+".zip")
			if *update {
				require.NoError(t, os.WriteFile(zipPath, data, 0o644))
			}
			committed, err := os.ReadFile(zipPath)
			require.NoError(t, err, "run go test ./shared/inventory -update")
			assert.Equal(t, data, committed, "%s is stale: run go test ./shared/inventory -update", zipPath)
		})
	}
}

func TestLockfileAndInstalledTreeAreOnePackage(t *testing.T) {
	data, err := archivetest.ZipDir(filepath.Join(fixtures, "src", "node-api"))
	require.NoError(t, err)
	r := scanZip(t, data, inventory.Origin{Kind: inventory.OriginFunction})
	for _, p := range r.Packages {
		if p.Name == "lodash" {
			assert.Equal(t, []string{"/var/task/node_modules/lodash/package.json", "/var/task/package-lock.json"}, p.Paths)
			assert.Equal(t, "pkg:npm/lodash@4.17.15", p.PURL, "no ?source= qualifier")
			assert.Len(t, p.Extractors, 2)
		}
	}
}

// One small manifest per ecosystem the issue names, through osv-scalibr.
func TestEcosystems(t *testing.T) {
	tests := []struct {
		name, file, body string
		want             string
	}{
		{"yarn", "yarn.lock", "# yarn lockfile v1\n\n\"left-pad@^1.3.0\":\n  version \"1.3.0\"\n  resolved \"https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz\"\n", "npm left-pad@1.3.0 function"},
		{"pnpm", "pnpm-lock.yaml", "lockfileVersion: '6.0'\n\npackages:\n\n  /is-number@7.0.0:\n    resolution: {integrity: sha512-x}\n    dev: false\n", "npm is-number@7.0.0 function"},
		{"package-lock v1", "package-lock.json", `{"name":"x","lockfileVersion":1,"dependencies":{"ms":{"version":"2.1.2"}}}`, "npm ms@2.1.2 function"},
		{"poetry", "poetry.lock", "[[package]]\nname = \"jinja2\"\nversion = \"2.11.2\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\n\n[metadata]\nlock-version = \"1.1\"\n", "PyPI jinja2@2.11.2 function"},
		{"pipfile", "Pipfile.lock", `{"_meta":{},"default":{"flask":{"version":"==1.1.2"}},"develop":{}}`, "PyPI flask@1.1.2 function"},
		{"uv", "uv.lock", "version = 1\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"markupsafe\"\nversion = \"1.1.1\"\nsource = { registry = \"https://pypi.org/simple\" }\n", "PyPI markupsafe@1.1.1 function"},
		{"egg-info", "site/six-1.15.0.egg-info/PKG-INFO", "Metadata-Version: 1.1\nName: six\nVersion: 1.15.0\n", "PyPI six@1.15.0 function"},
		{"gemfile.lock", "Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n", "RubyGems rack@2.2.3 function"},
		{"gemspec", "vendor/specifications/tilt-2.0.11.gemspec", "Gem::Specification.new do |s|\n  s.name = \"tilt\".freeze\n  s.version = \"2.0.11\"\nend\n", "RubyGems tilt@2.0.11 function"},
		{"deps.json", "App.deps.json", `{"runtimeTarget":{"name":".NETCoreApp,Version=v6.0"},"libraries":{"Newtonsoft.Json/13.0.1":{"type":"package"}}}`, "NuGet Newtonsoft.Json@13.0.1 function"},
		{"cargo.lock", "Cargo.lock", "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n", "crates.io smallvec@1.6.0 function"},
		{"composer.lock", "composer.lock", `{"packages":[{"name":"guzzlehttp/psr7","version":"1.8.1"}],"packages-dev":[]}`, "Packagist guzzlehttp/psr7@1.8.1 function"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scanZip(t, archivetest.Zip(archivetest.Entry{Name: tc.file, Body: []byte(tc.body)}), inventory.Origin{Kind: inventory.OriginFunction})
			assert.Contains(t, lines(r), tc.want)
		})
	}
}

// A Go binary built here from testdata/gobin: build info has deps and toolchain.
func TestGoBinaryToolchainIsStdlib(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go binary")
	}
	exe := filepath.Join(t.TempDir(), "gobin")
	cmd := exec.Command("go", "build", "-o", exe, "./testdata/gobin")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	body, err := os.ReadFile(exe)
	require.NoError(t, err)
	r := scanZip(t, archivetest.Zip(archivetest.Entry{Name: "bootstrap", Body: body, Mode: 0o755}), inventory.Origin{Kind: inventory.OriginFunction})
	got := lines(r)
	assert.Contains(t, got, "Go stdlib@"+strings.TrimPrefix(runtime.Version(), "go")+" function")
	found := false
	for _, l := range got {
		found = found || strings.HasPrefix(l, "Go github.com/stretchr/testify@")
	}
	assert.True(t, found, "module dependencies from build info: %v", got)
}

func TestJars(t *testing.T) {
	pom := "groupId=com.fasterxml.jackson.core\nartifactId=jackson-databind\nversion=2.9.10\n"
	inner := archivetest.Zip(archivetest.Entry{Name: "META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties", Body: []byte(pom)})
	fat := archivetest.Zip(archivetest.Entry{Name: "BOOT-INF/lib/jackson-databind-2.9.10.jar", Body: inner})
	r := scanZip(t, archivetest.Zip(
		archivetest.Entry{Name: "java/lib/jackson-databind-2.9.10.jar", Body: inner},
		archivetest.Entry{Name: "java/lib/app.jar", Body: fat},
	), inventory.Origin{})
	assert.Equal(t, []string{"Maven com.fasterxml.jackson.core:jackson-databind@2.9.10 layer"}, lines(r))
	require.Len(t, r.Packages, 1)
	assert.Equal(t, "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10", r.Packages[0].PURL)
}

// Jars inside jars are followed to the nesting cap, then reported.
func TestNestedJarDepthCap(t *testing.T) {
	jar := archivetest.Zip(archivetest.Entry{Name: "META-INF/maven/org.yaml/snakeyaml/pom.properties", Body: []byte("groupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n")})
	for i := 0; i < 6; i++ {
		jar = archivetest.Zip(archivetest.Entry{Name: fmt.Sprintf("lib/level%d.jar", i), Body: jar})
	}
	r := scanZip(t, archivetest.Zip(archivetest.Entry{Name: "app.jar", Body: jar}), inventory.Origin{Kind: inventory.OriginFunction})
	assert.Empty(t, r.Packages, "the jar sits deeper than the cap")
	assert.Contains(t, codes(r), inventory.CodeExtractorError)
	var detail string
	for _, p := range r.Problems {
		detail += p.Detail
	}
	assert.Contains(t, detail, "max zip depth")
}

func TestLayerOriginAndPaths(t *testing.T) {
	data, err := archivetest.ZipDir(filepath.Join(fixtures, "src", "node-api"))
	require.NoError(t, err)
	fn := filepath.Join(t.TempDir(), "fn.zip")
	require.NoError(t, os.WriteFile(fn, data, 0o644))
	layer, err := archivetest.ZipDir(filepath.Join(fixtures, "src", "layer-python-yaml"))
	require.NoError(t, err)
	lp := filepath.Join(t.TempDir(), "layer.zip")
	require.NoError(t, os.WriteFile(lp, layer, 0o644))
	arn := "arn:aws:lambda:eu-west-1:123456789012:layer:yaml:3"
	r, err := inventory.Scan(context.Background(), []inventory.Source{
		{Path: fn, Origin: inventory.Origin{Kind: inventory.OriginFunction}},
		{Path: lp, Origin: inventory.Origin{Kind: inventory.OriginLayer, Layer: arn}},
	}, inventory.Options{})
	require.NoError(t, err)
	for _, p := range r.Packages {
		if p.Name == "PyYAML" {
			assert.Equal(t, inventory.Origin{Kind: inventory.OriginLayer, Layer: arn}, p.Origin)
			assert.True(t, strings.HasPrefix(p.Paths[0], "/opt/python/"), p.Paths)
		} else {
			assert.Equal(t, inventory.OriginFunction, p.Origin.Kind)
		}
	}
	assert.Len(t, r.Packages, 3)
}

func TestNothingFoundIsSaid(t *testing.T) {
	r := scanZip(t, archivetest.Zip(archivetest.Entry{Name: "lambda_function.py", Body: []byte("def handler(e, c):\n    return 1\n")}), inventory.Origin{})
	assert.Empty(t, r.Packages)
	require.Len(t, r.Notes, 1)
	assert.Contains(t, r.Notes[0], "0 packages")
}

func TestHostileEntriesMakeItPartial(t *testing.T) {
	r := scanZip(t, archivetest.Zip(
		archivetest.Entry{Name: "../evil/package-lock.json", Body: []byte("{}")},
		archivetest.Entry{Name: "node_modules/x", Body: []byte("/etc/passwd"), Mode: fs.ModeSymlink | 0o777},
		archivetest.Entry{Name: "package-lock.json", Body: nil},
		archivetest.Entry{Name: "requirements.txt", Body: []byte("flask==1.0\n")},
	), inventory.Origin{})
	assert.Equal(t, []string{"PyPI flask@1.0 function"}, lines(r))
	c := codes(r)
	assert.Contains(t, c, inventory.CodeUnsafePath)
	assert.Contains(t, c, inventory.CodeSymlink)
	assert.Contains(t, c, inventory.CodeExtractorError, "an empty lockfile is unreadable metadata")
}

func TestMissingTarget(t *testing.T) {
	_, err := inventory.Scan(context.Background(), []inventory.Source{{Path: "/nonexistent/x.zip"}}, inventory.Options{})
	assert.ErrorIs(t, err, inventory.ErrTargetNotFound)
}
