// Package fetch is the scan workflow's Fetch step: it stages the function's
// zip and each layer's zip in the bucket under content-addressed keys,
// streaming from the presigned locations (nothing goes through the state
// payload). Image functions stage their image, layer by layer, filtered to
// the files the scan reads (image.go).
package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/awsclient/member"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/functioncode"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// Handler stages code.
type Handler struct {
	Config   config.Config
	Env      awsclient.Env
	S3       awsclient.S3API
	Sessions *member.Sessions
	Lambda   func(ctx context.Context, account, region string) (functioncode.LambdaAPI, error)
	Cache    *cache.Table
	// Pace paces GetLayerVersion; GetFunctionPace paces GetFunction, which
	// has a limit of its own.
	Pace, GetFunctionPace cache.Pacer
	Download              functioncode.Downloader
	Now                   func() time.Time
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	sessions := member.New(env, cfg)
	clients := member.NewClients(sessions, func(c aws.Config) functioncode.LambdaAPI {
		return lambda.NewFromConfig(c, func(o *lambda.Options) { o.BaseEndpoint = env.Base() })
	})
	table := cache.Open(env, cfg)
	return &Handler{Config: cfg, Env: env, S3: env.S3(), Sessions: sessions, Lambda: clients.For, Cache: table,
		Pace: table.ControlPlane(cfg.ControlPlaneRPS), GetFunctionPace: table.GetFunctionPace(cfg.GetFunctionRPS), Now: time.Now}
}

// Handle stages the target's code.
func (h *Handler) Handle(ctx context.Context, in contract.FetchInput) (contract.Fetched, error) {
	t := in.Target
	lc, err := h.Lambda(ctx, t.Account, t.Region)
	if err != nil {
		return contract.Fetched{}, err
	}
	if err := h.GetFunctionPace.Wait(ctx, t.Account, t.Region); err != nil {
		return contract.Fetched{}, err
	}
	fn, err := functioncode.Get(ctx, lc, t.FunctionARN, t.Qualifier)
	if err != nil {
		return contract.Fetched{}, err
	}
	if fn.IsImage() {
		out, err := h.fetchImage(ctx, t, fn.Code.ImageURI, fn.Arch, fn.Code)
		out.Tags = fn.Tags
		return out, err
	}
	out := contract.Fetched{Code: fn.Code, Tags: fn.Tags}
	staged, moved, err := h.stage(ctx, fn.Code.CodeSha256, func() (io.ReadCloser, int64, error) { return fn.Open(ctx, h.Download) })
	if err != nil {
		return contract.Fetched{}, err
	}
	out.Function, out.Bytes = staged, moved
	for _, l := range fn.Code.Layers {
		st, moved, err := h.stageLayer(ctx, lc, l)
		if err != nil {
			return contract.Fetched{}, err
		}
		out.Layers = append(out.Layers, st)
		out.Bytes += moved
	}
	return out, nil
}

// stageLayer stages one layer version, once: a version is immutable, so the
// cache item for its ARN holds forever.
func (h *Handler) stageLayer(ctx context.Context, lc functioncode.LambdaAPI, layerARN string) (contract.Staged, int64, error) {
	if it, ok, err := h.Cache.GetLayer(ctx, layerARN); err != nil {
		return contract.Staged{}, 0, err
	} else if ok && h.exists(ctx, it.StagedKey) {
		return contract.Staged{Key: it.StagedKey, CodeSha256: it.CodeSha256, Size: it.Size, LayerARN: layerARN}, 0, nil
	}
	l, err := arn.ParseLayer(layerARN)
	if err != nil {
		return contract.Staged{}, 0, err
	}
	if err := h.Pace.Wait(ctx, l.Account, l.Region); err != nil {
		return contract.Staged{}, 0, err
	}
	lv, err := functioncode.GetLayer(ctx, lc, layerARN)
	if err != nil {
		return contract.Staged{}, 0, err
	}
	st, moved, err := h.stage(ctx, lv.CodeSha256, func() (io.ReadCloser, int64, error) { return lv.Open(ctx, h.Download) })
	if err != nil {
		return contract.Staged{}, 0, err
	}
	st.LayerARN = layerARN
	if err := h.Cache.PutLayer(ctx, cache.LayerItem{LayerARN: layerARN, CodeSha256: st.CodeSha256, StagedKey: st.Key, Size: st.Size}); err != nil {
		return contract.Staged{}, 0, err
	}
	return st, moved, nil
}

// stage copies a download to the staging key of its CodeSha256, unless it
// is already there. The download is spooled to ephemeral storage and its
// SHA-256 checked against codeSha256 (what GetFunction or GetLayerVersion
// reported) before anything is stored: code that is not what Lambda runs
// is never staged, scanned or cached under that hash (CodeHashMismatch).
// A stream that breaks off is a TransientError, and a complete local copy
// lets the SDK retry the upload.
func (h *Handler) stage(ctx context.Context, codeSha256 string, open func() (io.ReadCloser, int64, error)) (contract.Staged, int64, error) {
	key := contract.StagingKey(codeSha256)
	if head, err := h.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &h.Config.Bucket, Key: &key}); err == nil {
		return contract.Staged{Key: key, CodeSha256: codeSha256, Size: aws.ToInt64(head.ContentLength)}, 0, nil
	}
	body, size, err := open()
	if err != nil {
		return contract.Staged{}, 0, err
	}
	defer body.Close()
	f, err := os.CreateTemp(h.Config.TmpDir, "stage-*")
	if err != nil {
		return contract.Staged{}, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), body)
	if err != nil {
		var named contract.Named
		if errors.As(err, &named) { // TransientError, CodeTooLarge
			return contract.Staged{}, 0, err
		}
		return contract.Staged{}, 0, &contract.TransientError{Op: "download code", Err: err}
	}
	if size >= 0 && n != size {
		return contract.Staged{}, 0, &contract.TransientError{Op: "download code", Err: fmt.Errorf("%d of %d bytes", n, size)}
	}
	if got := base64.StdEncoding.EncodeToString(sum.Sum(nil)); got != codeSha256 {
		return contract.Staged{}, 0, &contract.ScanFailed{Name: schema.ErrCodeHashMismatch,
			Message: fmt.Sprintf("downloaded code (%d bytes) has SHA-256 %s; Lambda reported CodeSha256 %s", n, got, codeSha256)}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return contract.Staged{}, 0, err
	}
	if _, err := h.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &h.Config.Bucket, Key: &key, Body: f, ContentLength: aws.Int64(n)}); err != nil {
		return contract.Staged{}, 0, awsclient.Classify("stage code", err)
	}
	return contract.Staged{Key: key, CodeSha256: codeSha256, Size: n}, n, nil
}

func (h *Handler) exists(ctx context.Context, key string) bool {
	_, err := h.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &h.Config.Bucket, Key: &key})
	return err == nil
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
