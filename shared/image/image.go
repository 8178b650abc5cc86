// Package image opens the container image a scan reads: a `docker save`
// tarball, an OCI image layout directory, or a registry reference (ECR for
// image functions), resolving a multi-platform index to one platform.
// Layers are not downloaded here: they stream when the scan reads them.
package image

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// Sources an image can come from.
const (
	SourceTarball   = "tarball"
	SourceOCILayout = "oci-layout"
	SourceRegistry  = "registry"
)

// Error is a named image error: reports and the workflow use Name.
type Error struct {
	Name schema.ErrorName
	Msg  string
}

func (e *Error) Error() string     { return e.Msg }
func (e *Error) ErrorName() string { return string(e.Name) }

// Named errors (match with errors.Is).
var (
	ErrNotFound      = &Error{schema.ErrImageNotFound, "image not found"}
	ErrUnauthorized  = &Error{schema.ErrRegistryUnauthorized, "registry refused the credentials"}
	ErrNoPlatform    = &Error{schema.ErrNoMatchingPlatform, "image index has no manifest for the platform"}
	ErrBadReference  = &Error{schema.ErrBadImageReference, "not an image reference, tarball or OCI layout"}
	ErrUnreachable   = &Error{schema.ErrRegistryUnreachable, "registry unreachable"}
	ErrRegistryTLS   = &Error{schema.ErrRegistryTLS, "TLS with the registry failed"}
	ErrTooManyLayers = &Error{schema.ErrTooManyLayers, "image has more layers than a scan reads"}
)

// MaxLayers caps the layers of an image we open. docker build stops at 127
// (overlay2's lower-directory limit) and layered builders such as Nix
// dockerTools default to 100; twice docker's limit leaves room for other
// tools. It also bounds cost: go-containerregistry's tarball reader rescans
// the tarball for every layer and osv-scalibr re-parses the config per
// layer, so time grows with the square of the layer count (1,000 layers:
// about 9 s; 256: under 1 s).
const MaxLayers = 256

// checkLayers refuses an image past MaxLayers from its manifest alone.
func checkLayers(n int, ref string) error {
	if n > MaxLayers {
		return fmt.Errorf("%w: %s has %d layers, limit %d", ErrTooManyLayers, ref, n, MaxLayers)
	}
	return nil
}

// Options say how to reach a registry and which platform to pick.
type Options struct {
	// Platform picks a manifest from an index; zero means linux/amd64.
	Platform v1.Platform
	// Auth for the registry; nil uses the Docker config keychain.
	Auth authn.Authenticator
	// Transport for registry calls (tests); Insecure allows plain HTTP.
	Transport http.RoundTripper
	Insecure  bool
	// ECRMirror, when set, is a registry host that answers for every ECR
	// registry (a local stack); it is reached over plain HTTP.
	ECRMirror string
}

// MirrorEnv names the ECR mirror for local stacks (see Options.ECRMirror).
const MirrorEnv = config.ECRMirrorEnv

// Info says what was opened.
type Info struct {
	Ref      string `json:"ref"`
	Source   string `json:"source"`
	Digest   string `json:"digest"` // manifest digest of the chosen image
	Platform string `json:"platform,omitempty"`
}

// Open resolves ref: an existing file is a `docker save` tarball, an
// existing directory an OCI layout, anything else a registry reference.
func Open(ctx context.Context, ref string, opt Options) (v1.Image, Info, error) {
	want := opt.Platform
	if want.OS == "" {
		want = v1.Platform{OS: "linux", Architecture: "amd64"}
	}
	info := Info{Ref: ref}
	var img v1.Image
	var err error
	if st, serr := os.Stat(ref); serr == nil {
		if st.IsDir() {
			info.Source = SourceOCILayout
			img, err = fromLayout(ref, want)
		} else {
			info.Source = SourceTarball
			img, err = fromTarball(ref)
		}
	} else {
		info.Source = SourceRegistry
		pull := ref
		if _, _, isECR := ECRRegistry(ref); isECR && opt.ECRMirror != "" {
			_, path, _ := strings.Cut(ref, "/")
			pull, opt.Insecure = opt.ECRMirror+"/"+path, true
		}
		img, err = fromRegistry(ctx, pull, want, opt)
	}
	if err != nil {
		return nil, info, err
	}
	if m, merr := img.Manifest(); merr == nil {
		if err := checkLayers(len(m.Layers), ref); err != nil {
			return nil, info, err
		}
	}
	d, err := img.Digest()
	if err != nil {
		return nil, info, fmt.Errorf("%w: %s: %v", ErrBadReference, ref, err)
	}
	info.Digest = d.String()
	if cf, err := img.ConfigFile(); err == nil && cf.OS != "" {
		info.Platform = cf.Platform().String()
	}
	return img, info, nil
}

// fromTarball opens a `docker save` tarball, counting its layers from
// manifest.json first: computing the image's manifest costs a pass over the
// tarball per layer.
func fromTarball(p string) (v1.Image, error) {
	opener := func() (io.ReadCloser, error) { return os.Open(p) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadReference, p, err)
	}
	for _, d := range m {
		if err := checkLayers(len(d.Layers), p); err != nil {
			return nil, err
		}
	}
	img, err := tarball.Image(opener, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadReference, p, err)
	}
	return img, nil
}

func fromRegistry(ctx context.Context, ref string, want v1.Platform, opt Options) (v1.Image, error) {
	var nopts []name.Option
	if opt.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadReference, ref, err)
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithPlatform(want)}
	if opt.Auth != nil {
		ropts = append(ropts, remote.WithAuth(opt.Auth))
	} else {
		ropts = append(ropts, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}
	if opt.Transport != nil {
		ropts = append(ropts, remote.WithTransport(opt.Transport))
	}
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, registryError(ref, err)
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, registryError(ref, err)
		}
		return pick(idx, want, ref)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, registryError(ref, err)
	}
	return img, nil
}

// registryError names what went wrong talking to a registry; the cause
// stays in the message.
func registryError(ref string, err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusNotFound:
			return fmt.Errorf("%w: %s", ErrNotFound, ref)
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%w: %s", ErrUnauthorized, ref)
		}
	}
	var (
		dns       *net.DNSError
		op        *net.OpError
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &verify), errors.As(err, &record):
		return fmt.Errorf("%w: %s: %v", ErrRegistryTLS, ref, err)
	case errors.As(err, &dns):
		return fmt.Errorf("%w: %s: cannot resolve %s", ErrUnreachable, ref, dns.Name)
	case errors.As(err, &op):
		return fmt.Errorf("%w: %s: %v", ErrUnreachable, ref, err)
	}
	return fmt.Errorf("registry %s: %w", ref, err)
}

func fromLayout(dir string, want v1.Platform) (v1.Image, error) {
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return nil, fmt.Errorf("%w: %s is a directory without an oci-layout file", ErrBadReference, dir)
	}
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadReference, dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadReference, dir, err)
	}
	return pick(idx, want, dir)
}

// pick descends an index (nested indexes included) to the image for the
// platform; an index with one image and no platform yields that image.
func pick(idx v1.ImageIndex, want v1.Platform, ref string) (v1.Image, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadReference, ref, err)
	}
	var images []v1.Descriptor
	var nested error // the first failure inside a nested index that is not "no platform"
	for _, d := range m.Manifests {
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrBadReference, ref, err)
			}
			img, err := pick(child, want, ref)
			if err == nil {
				return img, nil
			}
			if nested == nil && !errors.Is(err, ErrNoPlatform) {
				nested = err
			}
		case d.MediaType.IsImage():
			if d.Platform != nil && d.Platform.Satisfies(want) {
				return idx.Image(d.Digest)
			}
			if d.Platform == nil || d.Platform.OS == "unknown" { // attestations are "unknown/unknown"
				images = append(images, d)
			}
		}
	}
	if len(images) == 1 && len(m.Manifests) == 1 {
		return idx.Image(images[0].Digest)
	}
	if nested != nil {
		return nil, nested
	}
	return nil, fmt.Errorf("%w %s: %s", ErrNoPlatform, want.String(), ref)
}

// PlatformOf maps a Lambda architecture (x86_64, arm64) to an image platform.
func PlatformOf(lambdaArch string) v1.Platform {
	if lambdaArch == "arm64" {
		return v1.Platform{OS: "linux", Architecture: "arm64"}
	}
	return v1.Platform{OS: "linux", Architecture: "amd64"}
}

// ecrHost is <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn].
var ecrHost = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// ECRRegistry says whether an image URI is in ECR, and its account and region.
func ECRRegistry(imageURI string) (account, region string, ok bool) {
	host, _, _ := strings.Cut(imageURI, "/")
	m := ecrHost.FindStringSubmatch(host)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// ECRAuth is the registry login GetAuthorizationToken gives (valid 12 hours):
// a base64 "AWS:<password>".
func ECRAuth(ctx context.Context, c *ecr.Client, registryAccount string) (authn.Authenticator, error) {
	in := &ecr.GetAuthorizationTokenInput{}
	if registryAccount != "" {
		in.RegistryIds = []string{registryAccount} //nolint:staticcheck // still the way to name another account's registry
	}
	out, err := c.GetAuthorizationToken(ctx, in)
	if err != nil {
		return nil, err
	}
	if len(out.AuthorizationData) == 0 {
		return nil, fmt.Errorf("%w: ECR returned no authorization data", ErrUnauthorized)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		return nil, fmt.Errorf("%w: ECR token is not base64", ErrUnauthorized)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, fmt.Errorf("%w: ECR token is not user:password", ErrUnauthorized)
	}
	return &authn.Basic{Username: user, Password: pass}, nil
}
