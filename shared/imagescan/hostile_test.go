package imagescan_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/image"
	"github.com/lambdascan/lambdascan/shared/image/imagetest"
	"github.com/lambdascan/lambdascan/shared/imagescan"
)

// A layer whose content does not hash to the config's diff_id is a
// corrupt_layer, as a compressed-digest mismatch is.
func TestDiffIDMismatchIsCorruptLayer(t *testing.T) {
	claimed := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", 0xbad)}
	b, err := imagetest.EditedTarball(appImage(t), func(cf *v1.ConfigFile) { cf.RootFS.DiffIDs[1] = claimed })
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "image.tar")
	require.NoError(t, os.WriteFile(p, b, 0o644))
	img, _, err := image.Open(context.Background(), p, image.Options{})
	require.NoError(t, err)
	res, err := imagescan.ScanImage(context.Background(), img, imagescan.DefaultOptions())
	require.NoError(t, err)
	require.Len(t, res.Problems, 1, "%+v", res.Problems)
	assert.Equal(t, imagescan.CodeCorruptLayer, res.Problems[0].Code)
	assert.Equal(t, claimed.String(), res.Problems[0].Path)

	// The honest image is clean.
	res, err = imagescan.ScanImage(context.Background(), appImage(t), imagescan.DefaultOptions())
	require.NoError(t, err)
	assert.Empty(t, res.Problems)
}

// Past image.MaxLayers the scan stops before reading any layer, with a
// named error; at the cap it scans.
func TestLayerCountIsCapped(t *testing.T) {
	build := func(n int) v1.Image {
		base, err := imagetest.Image("linux/amd64", imagetest.Step{CreatedBy: "COPY . /var/task", Files: imagetest.PythonApp()})
		require.NoError(t, err)
		var adds []mutate.Addendum
		for i := 1; i < n; i++ {
			l, err := imagetest.Layer(imagetest.File{Name: fmt.Sprintf("srv/f%d", i), Body: []byte("x")})
			require.NoError(t, err)
			adds = append(adds, mutate.Addendum{Layer: l})
		}
		img, err := mutate.Append(base, adds...)
		require.NoError(t, err)
		return img
	}
	_, err := imagescan.ScanImage(context.Background(), build(image.MaxLayers+1), imagescan.DefaultOptions())
	require.Error(t, err)
	assert.True(t, errors.Is(err, image.ErrTooManyLayers), "%v", err)

	res, err := imagescan.ScanImage(context.Background(), build(image.MaxLayers), imagescan.DefaultOptions())
	require.NoError(t, err)
	assert.Contains(t, byName(res.Packages), "requests")
}

// endless is a layer whose tar holds one file that never ends.
type endless struct{ v1.Layer }

func (endless) Uncompressed() (io.ReadCloser, error) {
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	if err := tw.WriteHeader(&tar.Header{Name: "var/task/bootstrap", Mode: 0o755, Size: 1 << 40, Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	return io.NopCloser(io.MultiReader(&hdr, zeroReader{})), nil
}
func (endless) Compressed() (io.ReadCloser, error)  { return nil, errors.New("uncompressed only") }
func (endless) MediaType() (types.MediaType, error) { return types.DockerUncompressedLayer, nil }
func (endless) DiffID() (v1.Hash, error) {
	return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ee", 32)}, nil
}
func (endless) Digest() (v1.Hash, error) {
	return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ee", 32)}, nil
}
func (endless) Size() (int64, error) { return 1 << 20, nil } // as its manifest claims

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// A cancelled scan (Ctrl-C in the CLI) stops reading layers at once and
// leaves nothing in the temp dir.
func TestCancelledScanStopsAndCleansUp(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	img, err := mutate.Append(emptyImage(t), mutate.Addendum{Layer: endless{}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err = imagescan.ScanImage(ctx, img, imagescan.DefaultOptions())
	took := time.Since(start)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, took, 2*time.Second)
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, left, "temp files left behind")
}
