package imagescan_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"path"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/image/imagetest"
	"github.com/lambdascan/lambdascan/shared/imagescan"
	"github.com/lambdascan/lambdascan/shared/inventory"
)

// A Debian base, CMD (the base image ends there), the function's code, then
// a layer that deletes a package: every package sits in the layer that
// added it, and a deleted one is gone.
func appImage(t *testing.T, extra ...imagetest.Step) v1.Image {
	t.Helper()
	steps := []imagetest.Step{
		{CreatedBy: "ADD rootfs.tar /", Files: imagetest.DebianBase()},
		{CreatedBy: `CMD ["bash"]`},
		{CreatedBy: "COPY . /var/task", Files: append(imagetest.PythonApp(),
			imagetest.File{Name: "var/task/six-1.0.0.dist-info/METADATA", Body: []byte("Metadata-Version: 2.1\nName: six\nVersion: 1.0.0\n")})},
		{CreatedBy: "RUN rm -r /var/task/six-1.0.0.dist-info", Files: []imagetest.File{{Name: "var/task/.wh.six-1.0.0.dist-info"}}},
	}
	img, err := imagetest.Image("linux/arm64", append(steps, extra...)...)
	require.NoError(t, err)
	return img
}

func byName(ps []inventory.Package) map[string]inventory.Package {
	out := map[string]inventory.Package{}
	for _, p := range ps {
		out[p.Name] = p
	}
	return out
}

func TestScanImageAttributesLayers(t *testing.T) {
	res, err := imagescan.ScanImage(context.Background(), appImage(t), imagescan.DefaultOptions())
	require.NoError(t, err)
	assert.Empty(t, res.Problems)
	got := byName(res.Packages)
	require.Contains(t, got, "openssl")
	require.Contains(t, got, "requests")
	assert.NotContains(t, got, "six", "deleted by a later layer")

	ssl := got["openssl"]
	assert.Equal(t, "3.0.11-1~deb12u2", ssl.Version)
	assert.Equal(t, "Debian:12", ssl.Ecosystem)
	assert.Equal(t, inventory.OriginImage, ssl.Origin.Kind)
	assert.True(t, ssl.Origin.BaseImage)
	assert.Equal(t, 0, ssl.Origin.LayerIndex)
	assert.Equal(t, []string{"/var/lib/dpkg/status"}, ssl.Paths)
	assert.Equal(t, "zlib", byName(res.Packages)["zlib1g"].Name[:4])

	req := got["requests"]
	assert.Equal(t, "PyPI", req.Ecosystem)
	assert.False(t, req.Origin.BaseImage)
	assert.Equal(t, 2, req.Origin.LayerIndex, "history index: the CMD step counts")
	assert.Equal(t, res.Layers[2].DiffID, req.Origin.Layer)
	assert.Equal(t, []string{"/var/task/requests-2.25.0.dist-info/METADATA"}, req.Paths)

	require.Len(t, res.Layers, 4)
	assert.True(t, res.Layers[0].BaseImage)
	assert.True(t, res.Layers[1].Empty)
	assert.False(t, res.Layers[2].BaseImage)
	assert.Equal(t, "debian", res.OS["ID"])
}

// badLayer is a layer whose bytes break off in the middle of a file.
type badLayer struct {
	v1.Layer
	data []byte
}

func (b badLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b.data)), nil
}

func (b badLayer) Compressed() (io.ReadCloser, error) { return b.Uncompressed() }

func (b badLayer) MediaType() (types.MediaType, error) { return types.DockerUncompressedLayer, nil }

func (b badLayer) DiffID() (v1.Hash, error) {
	return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}, nil
}

func (b badLayer) Digest() (v1.Hash, error) { return b.DiffID() }

func TestCorruptLayerIsAPartialResult(t *testing.T) {
	good, err := imagetest.Layer(imagetest.PythonApp()...)
	require.NoError(t, err)
	whole := imagetest.Tar(imagetest.DebianBase()...)
	truncated := whole[:bytes.Index(whole, []byte("Package: zlib1g"))]
	bad := badLayer{Layer: good, data: truncated}
	img, err := mutate.AppendLayers(mutate.MediaType(emptyImage(t), types.DockerManifestSchema2), bad, good)
	require.NoError(t, err)

	res, err := imagescan.ScanImage(context.Background(), img, imagescan.DefaultOptions())
	require.NoError(t, err, "one damaged layer does not fail the image")
	require.NotEmpty(t, res.Problems)
	require.Len(t, res.Problems, 1, "the damaged file is dropped, not handed to the dpkg extractor")
	assert.Equal(t, imagescan.CodeCorruptLayer, res.Problems[0].Code)
	assert.Equal(t, "/var/lib/dpkg/status", res.Problems[0].Path)
	assert.Contains(t, byName(res.Packages), "requests", "the other layer still scans")
}

func TestOversizedLayerIsSkippedAndNamed(t *testing.T) {
	opt := imagescan.DefaultOptions()
	base, err := imagetest.Layer(imagetest.DebianBase()...)
	require.NoError(t, err)
	size, err := base.Size()
	require.NoError(t, err)
	opt.MaxLayerBytes = size - 1 // the base layer is just over; the app layers are smaller
	res, err := imagescan.ScanImage(context.Background(), appImage(t), opt)
	require.NoError(t, err)
	require.NotEmpty(t, res.Problems)
	assert.Equal(t, imagescan.CodeLayerTooLarge, res.Problems[0].Code)
	got := byName(res.Packages)
	assert.NotContains(t, got, "openssl")
	assert.Contains(t, got, "requests")
}

func TestKeptBytesStayWithinTheBudget(t *testing.T) {
	opt := imagescan.DefaultOptions()
	opt.MaxKeptBytes = 100 // os-release fits; the dpkg status does not
	res, err := imagescan.ScanImage(context.Background(), appImage(t), opt)
	require.NoError(t, err)
	require.NotEmpty(t, res.Problems)
	assert.Equal(t, imagescan.CodeStorageBudget, res.Problems[0].Code)
}

func emptyImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := imagetest.Image("linux/amd64")
	require.NoError(t, err)
	_, err = partial.Descriptor(img)
	require.NoError(t, err)
	return img
}

// rawTar is an uncompressed layer of arbitrary bytes.
type rawTar struct {
	v1.Layer
	data []byte
}

func (r rawTar) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(r.data)), nil
}
func (r rawTar) MediaType() (types.MediaType, error) { return types.DockerUncompressedLayer, nil }

// Size: the embedded layer's would gzip it anew on every call.
func (r rawTar) Size() (int64, error) { return int64(len(r.data)), nil }
func (r rawTar) DiffID() (v1.Hash, error) {
	return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("cd", 32)}, nil
}

// Whatever a layer holds, the filter yields a readable tar (possibly cut
// short, with a problem), keeps only files the layer held, each within the
// per-file limit and all within the storage budget, and names every problem
// with a known code. Each input gets a fresh filter: one shared across
// inputs piled up problems and spent its budget for good, and with the
// default limits a fuzzed header declaring a large kept file used to be
// padded with zeros to its size (hundreds of MB an input: ~2 execs/s).
func FuzzFilterLayer(f *testing.F) {
	f.Add(imagetest.Tar(imagetest.DebianBase()...))
	f.Add(imagetest.Tar(imagetest.PythonApp()...))
	f.Add(imagetest.Tar(imagetest.File{Name: "var/task/app.jar", Body: bytes.Repeat([]byte("PK"), 40<<10)}))
	f.Add([]byte("not a tar"))
	opt := imagescan.DefaultOptions()
	opt.Limits.MaxEntryBytes = 64 << 10
	opt.MaxKeptBytes = 256 << 10
	base, err := imagescan.NewFilter(opt) // building extractors is the slow part
	require.NoError(f, err)
	good, err := imagetest.Layer()
	require.NoError(f, err)
	codes := []string{imagescan.CodeCorruptLayer, imagescan.CodeLayerTooLarge, imagescan.CodeStorageBudget, inventory.CodeEntryTooLarge}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := map[string]bool{}
		tr := tar.NewReader(bytes.NewReader(data))
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			in[strings.TrimPrefix(path.Clean("/"+h.Name), "/")] = true
		}
		filter := base.Fresh()
		rc, err := filter.Layer(rawTar{Layer: good, data: data}).Uncompressed()
		require.NoError(t, err)
		defer rc.Close()
		tr = tar.NewReader(rc)
		var kept int64
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err, "the filtered stream is a valid tar")
			n, err := io.Copy(io.Discard, tr)
			require.NoError(t, err)
			name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
			if h.Typeflag != tar.TypeReg || strings.HasPrefix(path.Base(name), ".wh.") {
				continue
			}
			require.True(t, in[name], "%q was not in the layer", name)
			require.LessOrEqual(t, n, opt.Limits.MaxEntryBytes, "%q over the per-file limit", name)
			kept += n
		}
		require.LessOrEqual(t, kept, opt.MaxKeptBytes, "kept bytes over the budget")
		for _, p := range filter.Problems() {
			require.Contains(t, codes, p.Code, "%+v", p)
		}
	})
}

// A file a later layer replaces must not show through from the older one,
// even when the filter does not keep the newer file (here: over the size
// limit).
func TestReplacedFileDoesNotShowThrough(t *testing.T) {
	opt := imagescan.DefaultOptions()
	opt.Limits.MaxEntryBytes = 4096
	img, err := imagetest.Image("linux/amd64",
		imagetest.Step{CreatedBy: "COPY . /var/task", Files: imagetest.PythonApp()},
		imagetest.Step{CreatedBy: "RUN regenerate", Files: []imagetest.File{
			{Name: "var/task/requests-2.25.0.dist-info/METADATA", Body: bytes.Repeat([]byte("x"), 8192)}}})
	require.NoError(t, err)
	res, err := imagescan.ScanImage(context.Background(), img, opt)
	require.NoError(t, err)
	assert.NotContains(t, byName(res.Packages), "requests", "the older layer's METADATA is shadowed")
	var codes []string
	for _, p := range res.Problems {
		codes = append(codes, p.Code)
	}
	assert.Contains(t, codes, inventory.CodeEntryTooLarge)
}

// One entry larger than the uncompressed limit stops inside tar's Next.
func TestDecompressionBombInOneEntry(t *testing.T) {
	opt := imagescan.DefaultOptions()
	opt.MaxLayerUncompressedBytes = 1 << 20
	img, err := imagetest.Image("linux/amd64",
		imagetest.Step{CreatedBy: "ADD big /", Files: []imagetest.File{{Name: "srv/big.bin", Body: make([]byte, 8<<20)}}},
		imagetest.Step{CreatedBy: "COPY . /var/task", Files: imagetest.PythonApp()})
	require.NoError(t, err)
	res, err := imagescan.ScanImage(context.Background(), img, opt)
	require.NoError(t, err)
	require.NotEmpty(t, res.Problems)
	assert.Equal(t, imagescan.CodeLayerTooLarge, res.Problems[0].Code)
	assert.Contains(t, byName(res.Packages), "requests", "the other layer still scans")
}
