package inventory

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"io/fs"
	"sort"
	"testing"

	"github.com/google/osv-scalibr/extractor/filesystem"
	javaarchive "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/inventory/extract/jarmanifest"
)

func zipOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write(body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

type fileInfo struct {
	fs.FileInfo
	size int64
}

func (f fileInfo) Size() int64       { return f.size }
func (f fileInfo) Name() string      { return "app.jar" }
func (f fileInfo) Mode() fs.FileMode { return 0o644 }
func (f fileInfo) IsDir() bool       { return false }

// Both jar extractors read one jar from one reader, a plain io.Reader
// included (buffered once).
func TestJavaJarsShareOneReader(t *testing.T) {
	x, err := newExtractors(nil, ExtractOptions{Limits: archive.DefaultLimits()})
	require.NoError(t, err)
	var jars javaJars
	for _, e := range x.Extractors {
		g, ok := e.(recording).Extractor.(guarded)
		if !ok {
			continue
		}
		if j, ok := g.Extractor.(javaJars); ok {
			jars = j
		}
	}
	require.NotNil(t, jars.archive, "the combined extractor is in the set")
	assert.Equal(t, javaarchive.Name, jars.archive.Name())
	assert.Equal(t, jarmanifest.Name, jars.manifest.Name())

	fat := zipOf(t, map[string][]byte{
		"lib/snakeyaml-1.33.jar":     zipOf(t, map[string][]byte{"META-INF/maven/org.yaml/snakeyaml/pom.properties": []byte("groupId=org.yaml\nartifactId=snakeyaml\nversion=1.33\n")}),
		"lib/spring-core-5.3.20.jar": zipOf(t, map[string][]byte{"META-INF/MANIFEST.MF": []byte("Manifest-Version: 1.0\nAutomatic-Module-Name: spring.core\nImplementation-Version: 5.3.20\n")}),
	})
	for name, r := range map[string]io.Reader{"ReaderAt": bytes.NewReader(fat), "Reader": io.MultiReader(bytes.NewReader(fat))} {
		t.Run(name, func(t *testing.T) {
			inv, err := jars.Extract(context.Background(), &filesystem.ScanInput{Path: "app.jar", Info: fileInfo{size: int64(len(fat))}, Reader: r})
			require.NoError(t, err)
			var got []string
			for _, p := range inv.Packages {
				got = append(got, p.Name+"@"+p.Version)
			}
			sort.Strings(got)
			assert.Equal(t, []string{"org.springframework:spring-core@5.3.20", "org.yaml:snakeyaml@1.33"}, got)
		})
	}
}
