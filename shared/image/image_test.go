package image_test

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
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

	"github.com/lambdascan/lambdascan/shared/image"
	"github.com/lambdascan/lambdascan/shared/image/imagetest"
)

func build(t *testing.T, platform string) v1.Image {
	t.Helper()
	img, err := imagetest.Image(platform, imagetest.Step{CreatedBy: "COPY . /var/task", Files: imagetest.PythonApp()})
	require.NoError(t, err)
	return img
}

func multiArch(t *testing.T) (v1.ImageIndex, v1.Image, v1.Image) {
	t.Helper()
	amd, arm := build(t, "linux/amd64"), build(t, "linux/arm64")
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
	return idx, amd, arm
}

// registryWithAuth is go-containerregistry's registry behind basic auth.
func registryWithAuth(t *testing.T, user, pass string) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func digest(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	require.NoError(t, err)
	return d.String()
}

func TestRegistryIndexResolvesToTheArchitecture(t *testing.T) {
	ctx := context.Background()
	host := registryWithAuth(t, "AWS", "secret")
	idx, amd, arm := multiArch(t)
	ref, err := name.ParseReference(host+"/app:v1", name.Insecure)
	require.NoError(t, err)
	auth := &authn.Basic{Username: "AWS", Password: "secret"}
	require.NoError(t, remote.WriteIndex(ref, idx, remote.WithAuth(auth)))

	for arch, want := range map[string]v1.Image{"arm64": arm, "x86_64": amd} {
		img, info, err := image.Open(ctx, host+"/app:v1", image.Options{Platform: image.PlatformOf(arch), Auth: auth, Insecure: true})
		require.NoError(t, err, arch)
		assert.Equal(t, digest(t, want), digest(t, img), arch)
		assert.Equal(t, image.SourceRegistry, info.Source)
		assert.Equal(t, digest(t, want), info.Digest)
	}

	_, _, err = image.Open(ctx, host+"/app:v1", image.Options{Platform: v1.Platform{OS: "linux", Architecture: "s390x"}, Auth: auth, Insecure: true})
	assert.ErrorIs(t, err, image.ErrNoPlatform)
	_, _, err = image.Open(ctx, host+"/app:v1", image.Options{Auth: &authn.Basic{Username: "AWS", Password: "wrong"}, Insecure: true})
	assert.ErrorIs(t, err, image.ErrUnauthorized)
	_, _, err = image.Open(ctx, host+"/nothing:v1", image.Options{Auth: auth, Insecure: true})
	assert.ErrorIs(t, err, image.ErrNotFound)
	_, _, err = image.Open(ctx, "UPPER CASE/not a ref", image.Options{})
	assert.ErrorIs(t, err, image.ErrBadReference)
}

func TestTarballAndLayout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	idx, _, arm := multiArch(t)

	tarPath := filepath.Join(dir, "app.tar")
	tag, err := name.NewTag("app:v1")
	require.NoError(t, err)
	require.NoError(t, tarball.WriteToFile(tarPath, tag, arm))
	img, info, err := image.Open(ctx, tarPath, image.Options{})
	require.NoError(t, err)
	assert.Equal(t, image.SourceTarball, info.Source)
	assert.Equal(t, digest(t, arm), digest(t, img))
	assert.Equal(t, "linux/arm64", info.Platform)

	lay := filepath.Join(dir, "layout")
	_, err = layout.Write(lay, idx)
	require.NoError(t, err)
	img, info, err = image.Open(ctx, lay, image.Options{Platform: image.PlatformOf("arm64")})
	require.NoError(t, err)
	assert.Equal(t, image.SourceOCILayout, info.Source)
	assert.Equal(t, digest(t, arm), digest(t, img))

	_, _, err = image.Open(ctx, dir, image.Options{})
	assert.ErrorIs(t, err, image.ErrBadReference, "a directory without oci-layout")
	notTar := filepath.Join(dir, "app.py")
	require.NoError(t, writeFile(notTar, "print(1)"))
	_, _, err = image.Open(ctx, notTar, image.Options{})
	assert.ErrorIs(t, err, image.ErrBadReference)
}

func TestECRRegistry(t *testing.T) {
	for uri, want := range map[string][2]string{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:abc":      {"123456789012", "eu-west-1"},
		"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:v1":     {"123456789012", "us-gov-west-1"},
		"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v1":          {"123456789012", "cn-north-1"},
		"public.ecr.aws/lambda/python:3.12":                                {},
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example/app:v1": {},
	} {
		a, r, ok := image.ECRRegistry(uri)
		assert.Equal(t, want[0] != "", ok, uri)
		assert.Equal(t, want[0], a, uri)
		assert.Equal(t, want[1], r, uri)
	}
}

func writeFile(p, s string) error { return os.WriteFile(p, []byte(s), 0o644) }

// Network and TLS failures reaching a registry are named, not "ScanError".
func TestRegistryFailuresAreNamed(t *testing.T) {
	ctx := context.Background()
	tlsSrv := httptest.NewUnstartedServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := closed.Addr().String()
	closed.Close()
	// registry.test is dialed at the given address: a hostname (not a
	// loopback address) makes the client insist on verified HTTPS.
	via := func(addr string) http.RoundTripper {
		d := &net.Dialer{}
		return &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		}}
	}
	for _, tc := range []struct {
		name, ref string
		opt       image.Options
		want      error
	}{
		{"untrusted certificate", "registry.test/app:v1", image.Options{Transport: via(strings.TrimPrefix(tlsSrv.URL, "https://"))}, image.ErrRegistryTLS},
		{"connection refused", "registry.test/app:v1", image.Options{Transport: via(closedAddr)}, image.ErrUnreachable},
		{"no such host", "registry.invalid/app:v1", image.Options{}, image.ErrUnreachable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := image.Open(ctx, tc.ref, tc.opt)
			require.ErrorIs(t, err, tc.want)
			var named *image.Error
			require.ErrorAs(t, err, &named)
			assert.Contains(t, err.Error(), tc.ref)
		})
	}
}
