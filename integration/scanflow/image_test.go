package scanflow

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/image/imagetest"
	"github.com/lambdascan/lambdascan/shared/imagescan"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report"
)

func debianPython(t *testing.T, app []imagetest.File) v1.Image {
	t.Helper()
	img, err := imagetest.Image("linux/arm64",
		imagetest.Step{CreatedBy: "ADD rootfs.tar /", Files: imagetest.DebianBase()},
		imagetest.Step{CreatedBy: `CMD ["bash"]`},
		imagetest.Step{CreatedBy: "COPY . /var/task", Files: app})
	require.NoError(t, err)
	return img
}

// An image function goes through the same workflow as a zip: ECR login
// (moto's token; the registry refuses anything else), the image resolved to
// its digest, layers filtered into staging, every package attributed to its
// layer, the report stored and the function tagged.
func TestImageFunctionScanned(t *testing.T) {
	ctx := context.Background()
	img := debianPython(t, imagetest.PythonApp())
	uri, err := env.PushImage(ctx, "orders", "v1", img)
	require.NoError(t, err)
	fn, err := env.CreateImageFunction(ctx, "orders-image", uri, "arm64")
	require.NoError(t, err)

	pulls := env.BlobPulls()
	o, _ := run(t, "CreateFunction20150331", fn)
	require.Equal(t, "scanned", o.Outcome)
	assert.Equal(t, 3, env.BlobPulls()-pulls, "the config and both layers (CMD adds none), each streamed once")

	var r report.Report
	getJSON(t, o.Stored.ReportKey, &r)
	digest, err := img.Digest()
	require.NoError(t, err)
	require.NotNil(t, r.Target.Image)
	assert.Equal(t, digest.String(), r.Target.Image.Digest)
	assert.Contains(t, r.Target.Image.Ref, ".dkr.ecr.eu-west-1.amazonaws.com/orders@"+digest.String())
	assert.Equal(t, "Debian GNU/Linux 12 (bookworm)", r.Target.Image.OS)
	assert.Equal(t, report.StatusPartial, r.Status, "Debian packages have no vulnerability data here")
	var found bool
	for _, f := range r.Findings {
		if f.ID == "PYSEC-2023-74" {
			found = true
			assert.Equal(t, inventory.OriginImage, f.Package.Origin.Kind)
			assert.Equal(t, 2, f.Package.Origin.LayerIndex, "the application layer")
			assert.False(t, f.Package.Origin.BaseImage)
		}
	}
	assert.True(t, found, "requests 2.25.0 in /var/task: %v", r.Findings)
	for _, p := range r.Packages {
		if p.Name == "openssl" {
			assert.True(t, p.Origin.BaseImage, "dpkg packages come from the base image")
		}
	}
	tags, err := env.AWS.Lambda.ListTags(ctx, &lambdasvc.ListTagsInput{Resource: aws.String(fn)})
	require.NoError(t, err)
	assert.Equal(t, "partial", tags.Tags[contract.TagStatus])

	// Another function on the same image: the result is reused by digest.
	fn2, err := env.CreateImageFunction(ctx, "orders-image-2", uri, "arm64")
	require.NoError(t, err)
	before, pulls := scans(), env.BlobPulls()
	o2, _ := run(t, "CreateFunction20150331", fn2)
	require.Equal(t, "scanned", o2.Outcome)
	var r2 report.Report
	getJSON(t, o2.Stored.ReportKey, &r2)
	assert.Equal(t, r.Summary, r2.Summary)
	assert.Equal(t, 1, env.BlobPulls()-pulls, "only the config: every layer is staged already")
	assert.Equal(t, before+1, scans())

	// A new image on the same base: only the new layer is pulled.
	other := debianPython(t, []imagetest.File{{Name: "var/task/app.py", Body: []byte("print(1)\n")}})
	uri3, err := env.PushImage(ctx, "billing", "v1", other)
	require.NoError(t, err)
	fn3, err := env.CreateImageFunction(ctx, "billing-image", uri3, "arm64")
	require.NoError(t, err)
	pulls = env.BlobPulls()
	o3, _ := run(t, "CreateFunction20150331", fn3)
	require.Equal(t, "scanned", o3.Outcome)
	assert.Equal(t, 2, env.BlobPulls()-pulls, "config and the application layer; the base layer is reused by DiffID")
}

// A layer whose compressed stream breaks off ends as a partial result that
// names it; the other layers are still scanned.
func TestImageWithCorruptLayerIsPartial(t *testing.T) {
	ctx := context.Background()
	good, err := imagetest.Layer(imagetest.PythonApp()...)
	require.NoError(t, err)
	img, err := mutate.AppendLayers(mutate.MediaType(emptyImage(t), types.DockerManifestSchema2), truncatedLayer(t), good)
	require.NoError(t, err)
	uri, err := env.PushImage(ctx, "broken", "v1", img)
	require.NoError(t, err)
	fn, err := env.CreateImageFunction(ctx, "broken-image", uri, "x86_64")
	require.NoError(t, err)
	o, _ := run(t, "CreateFunction20150331", fn)
	require.Equal(t, "scanned", o.Outcome)
	var r report.Report
	getJSON(t, o.Stored.ReportKey, &r)
	assert.Equal(t, report.StatusPartial, r.Status)
	var codes []string
	for _, p := range r.Reasons {
		codes = append(codes, p.Code)
	}
	assert.Contains(t, codes, imagescan.CodeCorruptLayer)
	var names []string
	for _, p := range r.Packages {
		names = append(names, p.Name)
	}
	assert.Contains(t, names, "requests")
}

func emptyImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := imagetest.Image("linux/amd64")
	require.NoError(t, err)
	return img
}

// truncatedLayer is a gzip layer cut off two thirds of the way in, with the
// digests a registry checks (of the bytes as uploaded) but a DiffID no
// reader can confirm.
func truncatedLayer(t *testing.T) v1.Layer {
	t.Helper()
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for i := range 40 { // enough bytes that the cut lands inside the data
		body := bytes.Repeat([]byte{byte('a' + i%26)}, 4096)
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: "var/lib/data/" + string(rune('a'+i%26)) + hex.EncodeToString([]byte{byte(i)}), Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(tarBuf.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	cut := gz.Bytes()[:gz.Len()*2/3]
	diff := sha256.Sum256(tarBuf.Bytes())
	return &rawLayer{compressed: cut, diffID: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(diff[:])}}
}

type rawLayer struct {
	compressed []byte
	diffID     v1.Hash
}

func (l *rawLayer) Digest() (v1.Hash, error) {
	sum := sha256.Sum256(l.compressed)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}, nil
}
func (l *rawLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l *rawLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.compressed)), nil
}
func (l *rawLayer) Uncompressed() (io.ReadCloser, error) {
	return gzip.NewReader(bytes.NewReader(l.compressed))
}
func (l *rawLayer) Size() (int64, error)                { return int64(len(l.compressed)), nil }
func (l *rawLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }
