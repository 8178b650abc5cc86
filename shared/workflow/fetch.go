package workflow

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// Downloader reads a presigned URL. The URL carries credentials: it is never
// logged or returned.
type Downloader interface {
	Get(ctx context.Context, url string) (io.ReadCloser, int64, error)
}

// HTTPDownloader GETs presigned URLs with Client (a 10-minute timeout by
// default: the URL expires then anyway).
type HTTPDownloader struct {
	Client *http.Client
}

var defaultDownloadClient = &http.Client{Timeout: 10 * time.Minute}

// Get implements Downloader.
func (h HTTPDownloader) Get(ctx context.Context, url string) (io.ReadCloser, int64, error) {
	client := h.Client
	if client == nil {
		client = defaultDownloadClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("code location: malformed URL")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, &contract.TransientError{Op: "download code", Err: fmt.Errorf("request failed")}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		err := fmt.Errorf("download code: HTTP %d", resp.StatusCode)
		if resp.StatusCode >= 500 {
			return nil, 0, &contract.TransientError{Op: "download code", Err: err}
		}
		return nil, 0, err
	}
	return resp.Body, resp.ContentLength, nil
}

// Fetch stages the function's zip and each layer's zip in the bucket under
// content-addressed keys, streaming from the presigned URLs (nothing goes
// through the state payload). Image functions stage their image instead
// (fetchImage).
func (d *Deps) Fetch(ctx context.Context, in contract.FetchInput) (contract.Fetched, error) {
	t := in.Target
	gin := &lambda.GetFunctionInput{FunctionName: &t.FunctionARN}
	if t.Qualifier != "" {
		gin.Qualifier = aws.String(t.Qualifier)
	}
	lc, err := d.lambdaFor(ctx, t.Account, t.Region)
	if err != nil {
		return contract.Fetched{}, err
	}
	if err := d.GetFunctionPace.Wait(ctx, t.Account, t.Region); err != nil {
		return contract.Fetched{}, err
	}
	fn, err := lc.GetFunction(ctx, gin)
	if err != nil {
		if awsclient.IsNotFound(err) {
			return contract.Fetched{}, &contract.FunctionNotFound{FunctionARN: t.FunctionARN}
		}
		return contract.Fetched{}, awsclient.Classify("GetFunction", err)
	}
	cfg := fn.Configuration
	code := codeOf(cfg.CodeSha256, cfg.Runtime, cfg.PackageType, cfg.Layers)
	if cfg.PackageType == lambdatypes.PackageTypeImage {
		img := ""
		if fn.Code != nil {
			img = aws.ToString(fn.Code.ResolvedImageUri)
			if img == "" {
				img = aws.ToString(fn.Code.ImageUri)
			}
		}
		if img == "" {
			return contract.Fetched{}, fmt.Errorf("GetFunction returned no image URI for %s", t.FunctionARN)
		}
		code.ImageURI = img
		arch := ""
		if len(cfg.Architectures) > 0 {
			arch = string(cfg.Architectures[0])
		}
		out, err := d.fetchImage(ctx, t, img, arch, code)
		out.Tags = scanTags(fn.Tags)
		return out, err
	}
	if fn.Code == nil || aws.ToString(fn.Code.Location) == "" {
		return contract.Fetched{}, fmt.Errorf("GetFunction returned no code location for %s", t.FunctionARN)
	}
	out := contract.Fetched{Code: code, Tags: scanTags(fn.Tags)}
	staged, moved, err := d.stage(ctx, aws.ToString(fn.Code.Location), code.CodeSha256)
	if err != nil {
		return contract.Fetched{}, err
	}
	out.Function, out.Bytes = staged, moved
	for _, l := range code.Layers {
		st, moved, err := d.stageLayer(ctx, lc, l)
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
func (d *Deps) stageLayer(ctx context.Context, lc *lambda.Client, layerARN string) (contract.Staged, int64, error) {
	if it, ok, err := d.Cache.GetLayer(ctx, layerARN); err != nil {
		return contract.Staged{}, 0, err
	} else if ok && d.exists(ctx, it.StagedKey) {
		return contract.Staged{Key: it.StagedKey, CodeSha256: it.CodeSha256, Size: it.Size, LayerARN: layerARN}, 0, nil
	}
	l, err := arn.ParseLayer(layerARN)
	if err != nil {
		return contract.Staged{}, 0, err
	}
	nameARN := l.NameARN()
	if err := d.Pace.Wait(ctx, l.Account, l.Region); err != nil {
		return contract.Staged{}, 0, err
	}
	lv, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: &nameARN, VersionNumber: aws.Int64(l.Version)})
	if err != nil {
		return contract.Staged{}, 0, awsclient.Classify("GetLayerVersion", err)
	}
	if lv.Content == nil || aws.ToString(lv.Content.Location) == "" {
		return contract.Staged{}, 0, fmt.Errorf("layer %s has no content location", layerARN)
	}
	st, moved, err := d.stage(ctx, aws.ToString(lv.Content.Location), aws.ToString(lv.Content.CodeSha256))
	if err != nil {
		return contract.Staged{}, 0, err
	}
	st.LayerARN = layerARN
	if err := d.Cache.PutLayer(ctx, cache.LayerItem{LayerARN: layerARN, CodeSha256: st.CodeSha256, StagedKey: st.Key, Size: st.Size}); err != nil {
		return contract.Staged{}, 0, err
	}
	return st, moved, nil
}

// stage copies a presigned URL's content to the staging key of its
// CodeSha256, unless it is already there.
func (d *Deps) stage(ctx context.Context, url, codeSha256 string) (contract.Staged, int64, error) {
	key := contract.StagingKey(codeSha256)
	if head, err := d.AWS.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &d.Config.Bucket, Key: &key}); err == nil {
		return contract.Staged{Key: key, CodeSha256: codeSha256, Size: aws.ToInt64(head.ContentLength)}, 0, nil
	}
	body, size, err := d.Fetcher.Get(ctx, url)
	if err != nil {
		return contract.Staged{}, 0, err
	}
	defer body.Close()
	download := &downloadReader{r: body}
	var r io.Reader = download
	if size < 0 {
		// S3 needs a length: spool to ephemeral storage first.
		f, err := os.CreateTemp(d.Config.TmpDir, "stage-*")
		if err != nil {
			return contract.Staged{}, 0, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if size, err = io.Copy(f, body); err != nil {
			return contract.Staged{}, 0, &contract.TransientError{Op: "download code", Err: err}
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return contract.Staged{}, 0, err
		}
		r = f
	}
	// Streamed straight from the download: the body cannot be rewound to
	// hash it, so the payload goes unsigned (TLS protects it in AWS).
	if _, err := d.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.Config.Bucket, Key: &key, Body: r, ContentLength: aws.Int64(size)},
		s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)); err != nil {
		if download.err != nil {
			// The download broke off mid-stream (the SDK then cannot rewind
			// the body to retry the upload): a fresh attempt fetches again.
			return contract.Staged{}, 0, &contract.TransientError{Op: "download code", Err: download.err}
		}
		return contract.Staged{}, 0, awsclient.Classify("stage code", err)
	}
	return contract.Staged{Key: key, CodeSha256: codeSha256, Size: size}, size, nil
}

// downloadReader remembers why the download stream failed.
type downloadReader struct {
	r   io.Reader
	err error
}

func (d *downloadReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		d.err = err
	}
	return n, err
}

func (d *Deps) exists(ctx context.Context, key string) bool {
	_, err := d.AWS.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &d.Config.Bucket, Key: &key})
	return err == nil
}
