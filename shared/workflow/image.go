package workflow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/image"
	"github.com/lambdascan/lambdascan/shared/imagescan"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// fetchImage stages an image function's image: the config, and each layer
// filtered to the files the scan reads under its DiffID. Layers already
// staged (a shared base image) are not pulled again.
func (d *Deps) fetchImage(ctx context.Context, t contract.Target, uri, arch string, code contract.Code) (contract.Fetched, error) {
	var auth authn.Authenticator
	if account, region, ok := image.ECRRegistry(uri); ok {
		// The function's account reads its registry (the member role when
		// cross-account), in the image's region.
		cfg, err := d.configFor(ctx, t.Account, region)
		if err != nil {
			return contract.Fetched{}, err
		}
		c := ecr.NewFromConfig(cfg, func(o *ecr.Options) {
			if d.AWS.Endpoint != "" {
				o.BaseEndpoint = aws.String(d.AWS.Endpoint)
			}
		})
		if auth, err = image.ECRAuth(ctx, c, account); err != nil {
			if errors.Is(err, image.ErrUnauthorized) {
				return contract.Fetched{}, imageFailed(err)
			}
			return contract.Fetched{}, awsclient.Classify("ECR GetAuthorizationToken", err)
		}
	}
	img, info, err := image.Open(ctx, uri, image.Options{Platform: image.PlatformOf(arch), Auth: auth, ECRMirror: d.Config.ECRMirror})
	if err != nil {
		return contract.Fetched{}, imageFailed(err)
	}
	out := contract.Fetched{Code: code}
	st := &contract.StagedImage{URI: uri, Digest: info.Digest, Platform: info.Platform, ConfigKey: contract.ImageConfigKey(info.Digest)}
	raw, err := img.RawConfigFile()
	if err != nil {
		return contract.Fetched{}, imageFailed(fmt.Errorf("%w: config: %v", image.ErrBadReference, err))
	}
	if err := d.put(ctx, st.ConfigKey, bytes.NewReader(raw), int64(len(raw)), nil); err != nil {
		return contract.Fetched{}, err
	}
	layers, err := img.Layers()
	if err != nil {
		return contract.Fetched{}, imageFailed(fmt.Errorf("%w: layers: %v", image.ErrBadReference, err))
	}
	cf, err := img.ConfigFile()
	if err != nil || len(cf.RootFS.DiffIDs) != len(layers) {
		return contract.Fetched{}, imageFailed(fmt.Errorf("%w: the config does not list one DiffID per layer", image.ErrBadReference))
	}
	opt := d.imageOptions()
	for i, l := range layers {
		digest, err := l.Digest()
		if err != nil {
			return contract.Fetched{}, imageFailed(fmt.Errorf("%w: layer digest: %v", image.ErrBadReference, err))
		}
		sl, probs, moved, err := d.stageImageLayer(ctx, l, cf.RootFS.DiffIDs[i].String(), digest.String(), opt)
		if err != nil {
			return contract.Fetched{}, err
		}
		st.Layers = append(st.Layers, sl)
		st.Problems = append(st.Problems, probs...)
		out.Bytes += moved
	}
	out.Image = st
	return out, nil
}

// stageImageLayer filters one layer into staging, unless an earlier scan
// did. The key is the layer's compressed digest, which the registry pull
// verifies (a config's DiffID is only a claim). A pull that comes out
// damaged is tried once more (the network may be at fault); if it is still
// damaged it is staged under a key of its own, so it never replaces or
// passes for the good copy another scan stages, and it is pulled again by
// the next scan.
func (d *Deps) stageImageLayer(ctx context.Context, l v1.Layer, diffID, digest string, opt imagescan.Options) (contract.StagedLayer, []contract.Problem, int64, error) {
	key := contract.ImageLayerKey(digest, inventory.Version)
	if head, err := d.AWS.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &d.Config.Bucket, Key: &key}); err == nil && head.Metadata["problems"] == "0" {
		return contract.StagedLayer{DiffID: diffID, Digest: digest, Key: key, Size: aws.ToInt64(head.ContentLength), Reused: true}, nil, 0, nil
	}
	// S3 needs a length: the filtered tar (small: package databases,
	// metadata, binaries) is spooled to ephemeral storage first.
	f, err := os.CreateTemp(d.Config.TmpDir, "layer-*")
	if err != nil {
		return contract.StagedLayer{}, nil, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	var size int64
	var probs []contract.Problem
	for attempt := 0; attempt < 2; attempt++ {
		if size, probs, err = filterTo(f, l, opt); err != nil {
			return contract.StagedLayer{}, nil, 0, err
		}
		if !damaged(probs) {
			break
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return contract.StagedLayer{}, nil, 0, err
	}
	if len(probs) > 0 {
		key = fmt.Sprintf("%s.%d.partial", key, d.now().UnixNano())
	}
	if err := d.put(ctx, key, f, size, map[string]string{"problems": fmt.Sprint(len(probs))}); err != nil {
		return contract.StagedLayer{}, nil, 0, err
	}
	return contract.StagedLayer{DiffID: diffID, Digest: digest, Key: key, Size: size}, probs, size, nil
}

// filterTo writes the filtered layer to f (from its start).
func filterTo(f *os.File, l v1.Layer, opt imagescan.Options) (int64, []contract.Problem, error) {
	if err := f.Truncate(0); err != nil {
		return 0, nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, nil, err
	}
	filter, err := imagescan.NewFilter(opt)
	if err != nil {
		return 0, nil, err
	}
	rc, err := filter.Layer(l).Uncompressed()
	if err != nil {
		return 0, nil, err
	}
	defer rc.Close()
	size, err := io.Copy(f, rc)
	if err != nil {
		return 0, nil, err
	}
	return size, toContract(filter.Problems()), nil
}

// damaged: the layer stream broke off or failed its digest.
func damaged(ps []contract.Problem) bool {
	for _, p := range ps {
		if p.Code == imagescan.CodeCorruptLayer {
			return true
		}
	}
	return false
}

func (d *Deps) put(ctx context.Context, key string, body io.Reader, size int64, meta map[string]string) error {
	_, err := d.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.Config.Bucket, Key: &key, Body: body, ContentLength: aws.Int64(size), Metadata: meta})
	return awsclient.Classify("stage "+key, err)
}

// imageOptions bound an image scan by the Lambda's ephemeral storage.
func (d *Deps) imageOptions() imagescan.Options {
	opt := imagescan.DefaultOptions()
	if d.Config.EphemeralBytes > 0 {
		opt.MaxKeptBytes = d.Config.EphemeralBytes / 2 // the rest for the DB index and spills
	}
	return opt
}

// runImage rebuilds the image from staging and scans it.
func (d *Deps) runImage(ctx context.Context, db *vulndb.DB, st *contract.StagedImage, target report.Target) (*report.Report, error) {
	raw, err := d.readAll(ctx, st.ConfigKey)
	if err != nil {
		return nil, err
	}
	img, err := partial.UncompressedToImage(&stagedImage{d: d, ctx: ctx, st: st, config: raw})
	if err != nil {
		return nil, err
	}
	var probs []inventory.Problem
	for _, p := range st.Problems {
		probs = append(probs, inventory.Problem(p))
	}
	target.Image = &report.Image{Ref: st.URI, Digest: st.Digest, Platform: st.Platform}
	// MaxLayerBytes stays 0: layer sizes were checked when staged.
	opt := imagescan.RunOptions{Options: scan.Options{Now: d.now}, MaxKeptBytes: d.imageOptions().MaxKeptBytes, Problems: probs}
	return imagescan.RunImage(ctx, db, target, img, opt), nil
}

func (d *Deps) readAll(ctx context.Context, key string) ([]byte, error) {
	out, err := d.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &d.Config.Bucket, Key: &key})
	if err != nil {
		return nil, awsclient.Classify("read "+key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return b, awsclient.Classify("read "+key, err)
}

// stagedImage is an image whose layers are the staged, filtered tars.
type stagedImage struct {
	d      *Deps
	ctx    context.Context
	st     *contract.StagedImage
	config []byte
}

func (s *stagedImage) RawConfigFile() ([]byte, error)      { return s.config, nil }
func (s *stagedImage) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

func (s *stagedImage) LayerByDiffID(h v1.Hash) (partial.UncompressedLayer, error) {
	for _, l := range s.st.Layers {
		if l.DiffID == h.String() {
			return &stagedLayer{s: s, l: l, diff: h}, nil
		}
	}
	return nil, fmt.Errorf("layer %s was not staged", h)
}

type stagedLayer struct {
	s    *stagedImage
	l    contract.StagedLayer
	diff v1.Hash
}

func (l *stagedLayer) DiffID() (v1.Hash, error)            { return l.diff, nil }
func (l *stagedLayer) MediaType() (types.MediaType, error) { return types.OCIUncompressedLayer, nil }

func (l *stagedLayer) Uncompressed() (io.ReadCloser, error) {
	out, err := l.s.d.AWS.S3.GetObject(l.s.ctx, &s3.GetObjectInput{Bucket: &l.s.d.Config.Bucket, Key: &l.l.Key})
	if err != nil {
		return nil, awsclient.Classify("read staged layer", err)
	}
	return out.Body, nil
}

// imageFailed names an image that cannot be pulled: a permanent failure
// the workflow records (a registry outage is transient and retried).
func imageFailed(err error) error {
	name := scan.ErrorName(err)
	if name == "ScanError" {
		return &contract.TransientError{Op: "pull image", Err: err}
	}
	return &contract.ScanFailed{Name: name, Message: err.Error()}
}

func toContract(ps []inventory.Problem) []contract.Problem {
	out := make([]contract.Problem, 0, len(ps))
	for _, p := range ps {
		out = append(out, contract.Problem(p))
	}
	return out
}
