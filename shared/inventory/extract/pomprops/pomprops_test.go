package pomprops_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/simplefileapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/inventory/extract/pomprops"
)

func TestFileRequired(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"META-INF/maven/com.google.guava/guava/pom.properties", true},
		{"app/META-INF/maven/g/a/pom.properties", true},
		{"META-INF/maven/g/a/pom.xml", false},
		{"config/pom.properties", false},
		{"NOT-META-INF/maven/g/a/pom.properties", false},
	}
	e, _ := pomprops.New(nil)
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			assert.Equal(t, tc.want, e.FileRequired(simplefileapi.New(tc.path, nil)))
		})
	}
}

func TestExtract(t *testing.T) {
	tests := []struct {
		file string
		want []string // name@version purl
	}{
		{"META-INF/maven/com.google.guava/guava/pom.properties",
			[]string{"com.google.guava:guava@31.1-jre pkg:maven/com.google.guava/guava@31.1-jre"}},
		{"bad/META-INF/maven/x/y/pom.properties", []string{}}, // no version: nothing, not a guess
	}
	e, _ := pomprops.New(nil)
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tc.file))
			require.NoError(t, err)
			defer f.Close()
			inv, err := e.Extract(context.Background(), &filesystem.ScanInput{Path: tc.file, Reader: f})
			require.NoError(t, err)
			got := []string{}
			for _, p := range inv.Packages {
				got = append(got, p.Name+"@"+p.Version+" "+p.PURL().String())
				assert.Equal(t, tc.file, p.Location.PathOrEmpty())
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
