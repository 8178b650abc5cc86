package jarmanifest_test

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/simplefileapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/inventory/extract/jarmanifest"
)

type entry struct {
	name string
	body []byte
}

func jar(t testing.TB, ents ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range ents {
		w, err := zw.Create(e.name)
		require.NoError(t, err)
		_, err = w.Write(e.body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func manifest(t testing.TB, name string) entry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return entry{"META-INF/MANIFEST.MF", b}
}

var pom = entry{"META-INF/maven/org.slf4j/slf4j-api/pom.properties", []byte("groupId=org.slf4j\nartifactId=slf4j-api\nversion=1.7.32\n")}

func TestFileRequired(t *testing.T) {
	e, _ := jarmanifest.New(nil)
	for p, want := range map[string]bool{"lib/a.jar": true, "app.WAR": true, "x.ear": true, "a.zip": false, "a.jar.sha1": false} {
		assert.Equal(t, want, e.FileRequired(simplefileapi.New(p, info{size: 10})), p)
	}
	assert.False(t, e.FileRequired(simplefileapi.New("big.jar", info{size: jarmanifest.DefaultMaxFileBytes + 1})))
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name, file   string
		data         func(t testing.TB) []byte
		want         []string // "path name@version evidence"
		unidentified []string // "path: identity"
	}{
		{name: "Spring 5 jar: module name, title and Implementation-Version", file: "lib/spring-beans-5.3.20.jar",
			data: func(t testing.TB) []byte { return jar(t, manifest(t, "spring-beans.MF")) },
			want: []string{"lib/spring-beans-5.3.20.jar org.springframework:spring-beans@5.3.20 Automatic-Module-Name,Implementation-Title,Implementation-Version"}},
		{name: "Spring 4 (Debian's rebuild): the title alone; the file name says nothing", file: "lib/spring3-beans-3.x.jar",
			data: func(t testing.TB) []byte { return jar(t, manifest(t, "spring4-debian.MF")) },
			want: []string{"lib/spring3-beans-3.x.jar org.springframework:spring-beans@4.3.30.RELEASE Implementation-Title,Implementation-Version"}},
		{name: "OSGi bundle name with directives, Bundle-Version", file: "lib/beans.jar",
			data: func(t testing.TB) []byte { return jar(t, manifest(t, "osgi-spring-beans.MF")) },
			want: []string{"lib/beans.jar org.springframework:spring-beans@4.3.30.RELEASE Bundle-SymbolicName,Bundle-Version"}},
		{name: "wrapped header lines join without a space", file: "lib/beans.jar",
			data: func(t testing.TB) []byte { return jar(t, manifest(t, "folded.MF")) },
			want: []string{"lib/beans.jar org.springframework:spring-beans@4.3.30.RELEASE Bundle-SymbolicName,Bundle-Version"}},
		{name: "fat jar: nested pom-less jar found, version from its file name; jars with pom.properties left to osv-scalibr",
			file: "app.jar",
			data: func(t testing.TB) []byte {
				return jar(t, pom, manifest(t, "app.MF"),
					entry{"lib/spring-core-5.3.20.jar", jar(t, manifest(t, "spring-core-noversion.MF"))},
					entry{"lib/slf4j-api-1.7.32.jar", jar(t, pom)})
			},
			want: []string{"app.jar/lib/spring-core-5.3.20.jar org.springframework:spring-core@5.3.20 Automatic-Module-Name,file-name"}},
		{name: "ambiguous module name: unidentified, not guessed", file: "java/lib/bcprov-1.72.jar",
			data:         func(t testing.TB) []byte { return jar(t, manifest(t, "bcprov.MF")) },
			unidentified: []string{"java/lib/bcprov-1.72.jar: Automatic-Module-Name org.bouncycastle.provider, Implementation-Version 1.72.0, file name bcprov-1.72.jar"}},
		{name: "two known names that disagree", file: "lib/x.jar",
			data:         func(t testing.TB) []byte { return jar(t, manifest(t, "disagree.MF")) },
			unidentified: []string{"lib/x.jar: Bundle-SymbolicName com.google.guava, Automatic-Module-Name org.slf4j, Bundle-Version 1.0, file name x.jar"}},
		{name: "the application's own jar names no library", file: "app.jar",
			data: func(t testing.TB) []byte { return jar(t, manifest(t, "app.MF")) }},
		{name: "no manifest, versioned file name", file: "lib/foo-1.2.3.jar",
			data:         func(t testing.TB) []byte { return jar(t, entry{"Foo.class", []byte{0xca, 0xfe}}) },
			unidentified: []string{"lib/foo-1.2.3.jar: file name foo-1.2.3.jar"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := jarmanifest.New(nil)
			require.NoError(t, err)
			data := tc.data(t)
			inv, err := e.Extract(context.Background(), &filesystem.ScanInput{Path: tc.file, Info: info{size: int64(len(data))}, Reader: bytes.NewReader(data)})
			require.NoError(t, err)
			got := []string{}
			for _, p := range inv.Packages {
				m := p.Metadata.(*jarmanifest.Metadata)
				got = append(got, p.Location.PathOrEmpty()+" "+p.Name+"@"+p.Version+" "+strings.Join(m.Evidence, ","))
				assert.Equal(t, "pkg:maven/"+m.GroupID+"/"+m.ArtifactID+"@"+p.Version, m.PURL(p.Version))
			}
			assert.Equal(t, append([]string{}, tc.want...), got)
			un := []string{}
			for _, u := range e.(*jarmanifest.Extractor).Unidentified() {
				un = append(un, u.Path+": "+u.Identity)
			}
			assert.Equal(t, append([]string{}, tc.unidentified...), un)
		})
	}
}

// Limits hold inside nested jars: too deep, and too many bytes opened.
func TestLimits(t *testing.T) {
	inner := jar(t, manifest(t, "spring-beans.MF"))
	deep := inner
	for range 3 {
		deep = jar(t, entry{"lib/n.jar", deep})
	}
	cfg := &cpb.PluginConfig{PluginSpecific: []*cpb.PluginSpecificConfig{{Config: &cpb.PluginSpecificConfig_JavaArchive{
		JavaArchive: &cpb.JavaArchiveConfig{MaxZipDepth: 2}}}}}
	e, _ := jarmanifest.New(cfg)
	_, err := e.Extract(context.Background(), &filesystem.ScanInput{Path: "a.jar", Info: info{size: int64(len(deep))}, Reader: bytes.NewReader(deep)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nested deeper than 2 jars")

	cfg = &cpb.PluginConfig{PluginSpecific: []*cpb.PluginSpecificConfig{{Config: &cpb.PluginSpecificConfig_JavaArchive{
		JavaArchive: &cpb.JavaArchiveConfig{MaxOpenedBytes: 10}}}}}
	e, _ = jarmanifest.New(cfg)
	outer := jar(t, entry{"lib/spring-beans.jar", inner})
	_, err = e.Extract(context.Background(), &filesystem.ScanInput{Path: "a.jar", Info: info{size: int64(len(outer))}, Reader: bytes.NewReader(outer)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "opened-bytes limit")

	_, err = e.Extract(context.Background(), &filesystem.ScanInput{Path: "bad.jar", Info: info{size: 4}, Reader: bytes.NewReader([]byte("PK\x03\x04"))})
	assert.Error(t, err, "a corrupt jar is an error, not an empty result")
}

type info struct {
	os.FileInfo
	size int64
}

func (i info) Size() int64  { return i.size }
func (i info) Name() string { return "f" }
func (i info) IsDir() bool  { return false }

// The contract on any manifest: coordinates rest on a known module,
// bundle or title name (never on free text), and the version has no spaces.
func FuzzManifest(f *testing.F) {
	for _, n := range []string{"spring-beans.MF", "osgi-spring-beans.MF", "folded.MF", "bcprov.MF", "disagree.MF", "app.MF"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "lib/x-1.0.jar")
	}
	f.Fuzz(func(t *testing.T, mf []byte, name string) {
		if !strings.HasSuffix(name, ".jar") {
			name += ".jar"
		}
		data := jar(t, entry{"META-INF/MANIFEST.MF", mf})
		e, _ := jarmanifest.New(nil)
		inv, err := e.Extract(context.Background(), &filesystem.ScanInput{Path: name, Info: info{size: int64(len(data))}, Reader: bytes.NewReader(data)})
		if err != nil {
			return // an unreadable manifest is an error, reported as such
		}
		for _, p := range inv.Packages {
			m := p.Metadata.(*jarmanifest.Metadata)
			if p.Name != m.GroupID+":"+m.ArtifactID || m.GroupID == "" || m.ArtifactID == "" {
				t.Errorf("name %q from %+v", p.Name, m)
			}
			if !slices.Contains(m.Evidence, "Bundle-SymbolicName") && !slices.Contains(m.Evidence, "Automatic-Module-Name") && !slices.Contains(m.Evidence, "Implementation-Title") {
				t.Errorf("%s without a module name: %v", p.Name, m.Evidence)
			}
			if strings.ContainsAny(p.Version, " \t\r\n") {
				t.Errorf("version %q", p.Version)
			}
		}
	})
}
