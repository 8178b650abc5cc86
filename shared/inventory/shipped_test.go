package inventory_test

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
	"github.com/lambdascan/lambdascan/shared/inventory"
)

func pkgJSON(name, version string) []byte {
	return []byte(`{"name":"` + name + `","version":"` + version + `"}`)
}

const yarnV1 = "# yarn lockfile v1\n\n" +
	"left-pad@^1.3.0:\n  version \"1.3.0\"\n  resolved \"https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz\"\n\n" +
	"json5@^1.0.1:\n  version \"1.0.1\"\n  resolved \"https://registry.yarnpkg.com/json5/-/json5-1.0.1.tgz\"\n"

// detail renders a package with its classification.
func detail(p inventory.Package) string {
	s := pkgLine(p)
	if p.Declared {
		s += " declared"
	}
	ev := append([]string(nil), p.Evidence...)
	sort.Strings(ev)
	b, _ := json.Marshal(ev)
	return s + " " + string(b)
}

func dropped(r *inventory.Result) []string {
	out := []string{}
	for _, d := range r.Dropped {
		out = append(out, d.Name+"@"+d.Version+" "+d.Reason+" "+d.Path)
	}
	sort.Strings(out)
	return out
}

func TestOnlyWhatShips(t *testing.T) {
	tests := []struct {
		name    string
		entries []archivetest.Entry
		want    []string
		dropped []string
	}{
		{name: "yarn v1 lockfile with node_modules: the lockfile-only package is not shipped",
			entries: []archivetest.Entry{
				{Name: "yarn.lock", Body: []byte(yarnV1)},
				{Name: "node_modules/left-pad/package.json", Body: pkgJSON("left-pad", "1.3.0")},
			},
			want:    []string{`npm left-pad@1.3.0 function ["installed","lockfile"]`},
			dropped: []string{"json5@1.0.1 not-installed /var/task/yarn.lock"}},
		{name: "yarn v1 lockfile alone: declared",
			entries: []archivetest.Entry{{Name: "yarn.lock", Body: []byte(yarnV1)}},
			want:    []string{`npm json5@1.0.1 function declared ["lockfile"]`, `npm left-pad@1.3.0 function declared ["lockfile"]`},
			dropped: []string{}},
		{name: "lockfiles alone: development entries are not deployed",
			entries: []archivetest.Entry{
				{Name: "pnpm-lock.yaml", Body: []byte("lockfileVersion: '6.0'\n\npackages:\n\n  /is-number@7.0.0:\n    resolution: {integrity: sha512-x}\n    dev: false\n\n  /jest@29.0.0:\n    resolution: {integrity: sha512-y}\n    dev: true\n")},
				{Name: "Pipfile.lock", Body: []byte(`{"_meta":{},"default":{"flask":{"version":"==1.1.2"}},"develop":{"pytest":{"version":"==7.0.0"}}}`)},
				{Name: "composer.lock", Body: []byte(`{"packages":[{"name":"guzzlehttp/psr7","version":"1.8.1"}],"packages-dev":[{"name":"phpunit/phpunit","version":"9.5.0"}]}`)},
			},
			want:    []string{`Packagist guzzlehttp/psr7@1.8.1 function declared ["lockfile"]`, `PyPI flask@1.1.2 function declared ["lockfile"]`, `npm is-number@7.0.0 function declared ["lockfile"]`},
			dropped: []string{"jest@29.0.0 dev-only /var/task/pnpm-lock.yaml", "phpunit/phpunit@9.5.0 dev-only /var/task/composer.lock", "pytest@7.0.0 dev-only /var/task/Pipfile.lock"}},
		{name: "requirements-only: declared",
			entries: []archivetest.Entry{{Name: "requirements.txt", Body: []byte("requests==2.25.0  # via -r in\nurllib3==1.26.4\n")}},
			want:    []string{`PyPI requests@2.25.0 function declared ["manifest"]`, `PyPI urllib3@1.26.4 function declared ["manifest"]`},
			dropped: []string{}},
		{name: "requirements beside an installed dist-info tree: only the installed",
			entries: []archivetest.Entry{
				{Name: "requirements.txt", Body: []byte("requests==2.25.0\nboto3==1.26.0\n")},
				{Name: "requests-2.25.0.dist-info/METADATA", Body: []byte("Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\n")},
			},
			want:    []string{`PyPI requests@2.25.0 function ["installed","manifest"]`},
			dropped: []string{"boto3@1.26.0 not-installed /var/task/requirements.txt"}},
		{name: "the installed tree of another ecosystem does not count",
			entries: []archivetest.Entry{
				{Name: "requirements.txt", Body: []byte("flask==1.0\n")},
				{Name: "node_modules/ms/package.json", Body: pkgJSON("ms", "2.1.2")},
			},
			want:    []string{`PyPI flask@1.0 function declared ["manifest"]`, `npm ms@2.1.2 function ["installed"]`},
			dropped: []string{}},
		{name: "package.json counts only at node_modules/<name>/ or node_modules/@scope/<name>/",
			entries: []archivetest.Entry{
				{Name: "package.json", Body: pkgJSON("my-function", "1.0.0")},
				{Name: "node_modules/resolve/package.json", Body: pkgJSON("resolve", "1.22.1")},
				{Name: "node_modules/resolve/test/resolver/baz/package.json", Body: pkgJSON("baz", "1.2.3")},
				{Name: "node_modules/resolve/test/resolver/node_modules/foo/package.json", Body: pkgJSON("foo", "0.1.0")},
				{Name: "node_modules/@aws/x/package.json", Body: pkgJSON("@aws/x", "3.0.0")},
				{Name: "node_modules/@aws/x/node_modules/ms/package.json", Body: pkgJSON("ms", "2.0.0")},
				{Name: "node_modules/@aws/x/examples/package.json", Body: pkgJSON("example", "0.0.1")},
				{Name: "node_modules/.pnpm/debug@4.3.4/node_modules/debug/package.json", Body: pkgJSON("debug", "4.3.4")},
				{Name: "node_modules/.pnpm/debug@4.3.4/node_modules/debug/test/package.json", Body: pkgJSON("debug-test", "0.0.0")},
			},
			want: []string{`npm @aws/x@3.0.0 function ["installed"]`, `npm debug@4.3.4 function ["installed"]`, `npm ms@2.0.0 function ["installed"]`, `npm resolve@1.22.1 function ["installed"]`},
			dropped: []string{
				"baz@1.2.3 not-a-package /var/task/node_modules/resolve/test/resolver/baz/package.json",
				"debug-test@0.0.0 not-a-package /var/task/node_modules/.pnpm/debug@4.3.4/node_modules/debug/test/package.json",
				"example@0.0.1 not-a-package /var/task/node_modules/@aws/x/examples/package.json",
				"foo@0.1.0 not-a-package /var/task/node_modules/resolve/test/resolver/node_modules/foo/package.json",
				"my-function@1.0.0 own-manifest /var/task/package.json",
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scanZip(t, archivetest.Zip(tc.entries...), inventory.Origin{Kind: inventory.OriginFunction})
			got := []string{}
			for _, p := range r.Packages {
				got = append(got, detail(p))
			}
			sort.Strings(got)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.dropped, dropped(r))
		})
	}
}

// Evidence and declared are part of the JSON a report carries.
func TestEvidenceInJSON(t *testing.T) {
	r := scanZip(t, archivetest.Zip(archivetest.Entry{Name: "requirements.txt", Body: []byte("flask==1.0\n")}), inventory.Origin{Kind: inventory.OriginFunction})
	require.Len(t, r.Packages, 1)
	b, err := json.Marshal(r.Packages[0])
	require.NoError(t, err)
	assert.Contains(t, string(b), `"evidence":["manifest"]`)
	assert.Contains(t, string(b), `"declared":true`)
}

func jarOf(t *testing.T, ents ...archivetest.Entry) []byte {
	t.Helper()
	return archivetest.Zip(ents...)
}

// A fat jar's pom-less Spring jar is identified from its manifest; a jar
// whose manifest maps to no single artifact is named, not guessed.
func TestManifestOnlyJars(t *testing.T) {
	beans := jarOf(t, archivetest.Entry{Name: "META-INF/MANIFEST.MF", Body: []byte("Manifest-Version: 1.0\r\nImplementation-Title: spring-beans\r\nImplementation-Version: 5.3.20\r\nAutomatic-Module-Name: spring.beans\r\n\r\n")})
	bcprov := jarOf(t, archivetest.Entry{Name: "META-INF/MANIFEST.MF", Body: []byte("Manifest-Version: 1.0\nAutomatic-Module-Name: org.bouncycastle.provider\nExtension-Name: org.bouncycastle.bcprovider\nImplementation-Version: 1.72.0\n")})
	fat := jarOf(t,
		archivetest.Entry{Name: "META-INF/MANIFEST.MF", Body: []byte("Manifest-Version: 1.0\nMain-Class: com.example.App\n")},
		archivetest.Entry{Name: "lib/spring-beans-5.3.20.jar", Body: beans})
	r := scanZip(t, archivetest.Zip(
		archivetest.Entry{Name: "app.jar", Body: fat},
		archivetest.Entry{Name: "lib/bcprov-1.72.jar", Body: bcprov},
	), inventory.Origin{Kind: inventory.OriginFunction})
	got := []string{}
	for _, p := range r.Packages {
		got = append(got, detail(p)+" "+p.PURL+" "+p.Paths[0])
	}
	assert.Equal(t, []string{`Maven org.springframework:spring-beans@5.3.20 function ["jar-manifest:Automatic-Module-Name+Implementation-Title+Implementation-Version"] pkg:maven/org.springframework/spring-beans@5.3.20 /var/task/app.jar/lib/spring-beans-5.3.20.jar`}, got)
	assert.Equal(t, []string{"lambdascan/jarmanifest"}, r.Packages[0].Extractors)
	assert.Equal(t, []string{inventory.CodeUnidentifiedJar}, codes(r))
	assert.Equal(t, "lib/bcprov-1.72.jar", r.Problems[0].Path)
	assert.Contains(t, r.Problems[0].Detail, "Automatic-Module-Name org.bouncycastle.provider")
	assert.Equal(t, []string{
		"org.bouncycastle.bcprovider:org.bouncycastle.bcprovider@1.72.0 guessed-coordinates /var/task/lib/bcprov-1.72.jar",
		"spring-beans:spring-beans@5.3.20 guessed-coordinates /var/task/app.jar",
	}, dropped(r), "osv-scalibr's guesses are left out")
}

// Minified bundles are bundles: partial, the files named, names from
// ncc's licenses.txt, versions only from a signature.
func TestMinifiedBundles(t *testing.T) {
	pad := make([]byte, 5000)
	for i := range pad {
		pad[i] = ';'
	}
	index := append([]byte(`"use strict";var __nccwpck_require__={};var Ju="4.5.3";ce.VERSION=Ju;var Qu=8;ce.COMPILER_REVISION=Qu;`), pad...)
	r := scanZip(t, archivetest.Zip(
		archivetest.Entry{Name: "index.js", Body: index},
		archivetest.Entry{Name: "licenses.txt", Body: []byte("handlebars\nMIT\nCopyright (C) 2011-2019 by Yehuda Katz\n\njsonwebtoken\nMIT\nThe MIT License (MIT)\n")},
	), inventory.Origin{Kind: inventory.OriginFunction})
	got := []string{}
	for _, p := range r.Packages {
		got = append(got, detail(p))
	}
	assert.Equal(t, []string{
		`npm handlebars@4.5.3 function bundled ["bundle:licenses-txt","bundle:signature"]`,
		`npm jsonwebtoken@ function bundled ["bundle:licenses-txt"]`,
	}, got)
	require.Equal(t, []string{inventory.CodeBundled}, codes(r))
	assert.Equal(t, "index.js,licenses.txt", r.Problems[0].Path)
	assert.Contains(t, r.Problems[0].Detail, "(2 packages recovered from bundled JavaScript; minified: index.js)")
	assert.Empty(t, r.Notes)
}

// A minified bundle in which nothing names a package is still partial.
func TestBundleWithoutEvidenceIsPartial(t *testing.T) {
	r := scanZip(t, archivetest.Zip(archivetest.Entry{Name: "dist/index.js", Body: []byte(`(()=>{var e={1:(e,t,r)=>{}};function __webpack_require__(n){}})();`)}), inventory.Origin{Kind: inventory.OriginFunction})
	assert.Empty(t, r.Packages)
	require.Equal(t, []string{inventory.CodeBundled}, codes(r))
	assert.Equal(t, "dist/index.js", r.Problems[0].Path)
}
