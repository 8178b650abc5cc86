package fetch

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

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/image"
	"github.com/lambdascan/lambdascan/shared/imagescan"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// fetchImage stages an image function's image: the config, and each layer
// filtered to the files the scan reads under its DiffID. Layers already
// staged (a shared base image) are not pulled again.
func (h *Handler) fetchImage(ctx context.Context, t contract.Target, uri, arch string, code contract.Code) (contract.Fetched, error) {
	var auth authn.Authenticator
	if account, region, ok := image.ECRRegistry(uri); ok {
		// The function's account reads its registry (the member role when
		// cross-account), in the image's region.
		cfg, err := h.Sessions.Config(ctx, t.Account, region)
		if err != nil {
			return contract.Fetched{}, err
		}
		c := ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.BaseEndpoint = h.Env.Base() })
		if auth, err = image.ECRAuth(ctx, c, account); err != nil {
			if errors.Is(err, image.ErrUnauthorized) {
				return contract.Fetched{}, imageFailed(err)
			}
			return contract.Fetched{}, awsclient.Classify("ECR GetAuthorizationToken", err)
		}
	}
	img, info, err := image.Open(ctx, uri, image.Options{Platform: image.PlatformOf(arch), Auth: auth, ECRMirror: h.Config.ECRMirror})
	if err != nil {
		return contract.Fetched{}, imageFailed(err)
	}
	out := contract.Fetched{Code: code}
	st := &contract.StagedImage{URI: uri, Digest: info.Digest, Platform: info.Platform, ConfigKey: contract.ImageConfigKey(info.Digest)}
	raw, err := img.RawConfigFile()
	if err != nil {
		return contract.Fetched{}, imageFailed(fmt.Errorf("%w: config: %v", image.ErrBadReference, err))
	}
	if err := h.put(ctx, st.ConfigKey, bytes.NewReader(raw), int64(len(raw)), nil); err != nil {
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
	opt := h.imageOptions()
	for i, l := range layers {
		digest, err := l.Digest()
		if err != nil {
			return contract.Fetched{}, imageFailed(fmt.Errorf("%w: layer digest: %v", image.ErrBadReference, err))
		}
		sl, probs, moved, err := h.stageImageLayer(ctx, l, cf.RootFS.DiffIDs[i].String(), digest.String(), opt)
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
func (h *Handler) stageImageLayer(ctx context.Context, l v1.Layer, diffID, digest string, opt imagescan.Options) (contract.StagedLayer, []contract.Problem, int64, error) {
	key := contract.ImageLayerKey(digest, inventory.Version)
	if head, err := h.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &h.Config.Bucket, Key: &key}); err == nil && head.Metadata["problems"] == "0" {
		return contract.StagedLayer{DiffID: diffID, Digest: digest, Key: key, Size: aws.ToInt64(head.ContentLength), Reused: true}, nil, 0, nil
	}
	// S3 needs a length: the filtered tar (small: package databases,
	// metadata, binaries) is spooled to ephemeral storage first.
	f, err := os.CreateTemp(h.Config.TmpDir, "layer-*")
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
		key = fmt.Sprintf("%s.%d.partial", key, h.now().UnixNano())
	}
	if err := h.put(ctx, key, f, size, map[string]string{"problems": fmt.Sprint(len(probs))}); err != nil {
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
	return size, filter.Problems(), nil
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

func (h *Handler) put(ctx context.Context, key string, body io.Reader, size int64, meta map[string]string) error {
	_, err := h.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &h.Config.Bucket, Key: &key, Body: body, ContentLength: aws.Int64(size), Metadata: meta})
	return awsclient.Classify("stage "+key, err)
}

// imageOptions bound an image scan by the Lambda's ephemeral storage.
func (h *Handler) imageOptions() imagescan.Options {
	opt := imagescan.DefaultOptions()
	if h.Config.EphemeralBytes > 0 {
		opt.MaxKeptBytes = h.Config.EphemeralBytes / 2 // the rest for the DB index and spills
	}
	return opt
}

// imageFailed names an image that cannot be pulled: a permanent failure
// the workflow records under the image error's name (a registry outage
// has none: it is transient and retried).
func imageFailed(err error) error {
	var named interface{ ErrorName() string } // image.Error
	if errors.As(err, &named) {
		return &contract.ScanFailed{Name: schema.ErrorName(named.ErrorName()), Message: err.Error()}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &contract.ScanFailed{Name: schema.ErrScanTimeout, Message: err.Error()}
	}
	return &contract.TransientError{Op: "pull image", Err: err}
}
