package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/image/imagetest"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scancli"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

const testdata = "../../testdata"

// scanArgs runs `lambdascan-remote scan ARGS` in process.
func lambdascan(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"scan"}, args[1:]...), &out, &errb)
	return code, out.String(), errb.String()
}

func testDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "osv.lsdb")
	_, err := vulndb.BuildFile(context.Background(), vulndb.BuildOptions{Sources: []string{filepath.Join(testdata, "osv")}}, db)
	require.NoError(t, err)
	return db
}

const (
	exitFindings = scancli.ExitFindings
	exitError    = scancli.ExitError
)

func appImage(t *testing.T, platform string) v1.Image {
	t.Helper()
	img, err := imagetest.Image(platform,
		imagetest.Step{CreatedBy: "ADD rootfs.tar /", Files: imagetest.DebianBase()},
		imagetest.Step{CreatedBy: `CMD ["bash"]`},
		imagetest.Step{CreatedBy: "COPY . /var/task", Files: imagetest.PythonApp()})
	require.NoError(t, err)
	return img
}

// Every image source scans to the same report: requests from the app layer
// matched, Debian packages inventoried (no Debian data here: partial).
func TestScanImages(t *testing.T) {
	db := testDB(t)
	dir := t.TempDir()
	arm, amd := appImage(t, "linux/arm64"), appImage(t, "linux/amd64")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})

	tarPath := filepath.Join(dir, "app.tar")
	tag, err := name.NewTag("app:v1")
	require.NoError(t, err)
	require.NoError(t, tarball.WriteToFile(tarPath, tag, arm))
	lay := filepath.Join(dir, "layout")
	_, err = layout.Write(lay, idx)
	require.NoError(t, err)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ref, err := name.ParseReference(host+"/app:v1", name.Insecure)
	require.NoError(t, err)
	require.NoError(t, remote.WriteIndex(ref, idx))

	armDigest, err := arm.Digest()
	require.NoError(t, err)
	for _, target := range []string{tarPath, lay, host + "/app:v1"} {
		t.Run(filepath.Base(target), func(t *testing.T) {
			code, out, errs := lambdascan(t, "scan", "--db", db, "--format", "json", "--platform", "linux/arm64", target)
			require.Equal(t, exitFindings, code, errs)
			var r report.Report
			require.NoError(t, json.Unmarshal([]byte(out), &r))
			assert.Equal(t, report.KindImage, r.Target.Kind)
			require.NotNil(t, r.Target.Image)
			assert.Equal(t, armDigest.String(), r.Target.Image.Digest)
			assert.Equal(t, "Debian GNU/Linux 12 (bookworm)", r.Target.Image.OS)
			require.Len(t, r.Target.Image.Layers, 3)
			assert.Equal(t, report.StatusPartial, r.Status, "no Debian data in the test DB")
			var ids []string
			for _, f := range r.Findings {
				ids = append(ids, f.ID)
				assert.Equal(t, "requests", f.Package.Name)
				assert.Equal(t, 2, f.Package.Origin.LayerIndex)
				assert.False(t, f.Package.Origin.BaseImage)
			}
			assert.Contains(t, ids, "PYSEC-2023-74")
			var debs int
			for _, p := range r.Packages {
				if p.Ecosystem == "Debian:12" {
					debs++
					assert.True(t, p.Origin.BaseImage)
				}
			}
			assert.Equal(t, 2, debs)
		})
	}

	code, _, errs := lambdascan(t, "scan", "--db", db, host+"/missing:v1")
	assert.Equal(t, exitError, code)
	assert.Contains(t, errs, "ImageNotFound")
	code, _, errs = lambdascan(t, "scan", "--db", db, "--platform", "linux/s390x", lay)
	assert.Equal(t, exitError, code)
	assert.Contains(t, errs, "NoMatchingPlatform")
}
