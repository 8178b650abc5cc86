// Package functioncode fetches a deployed function's code: GetFunction
// gives the code identity, the zip's presigned location or the image URI,
// and the layers; GetLayerVersion gives each layer's location. Both the
// workflow's fetch step and lambdascan-remote use it, so the two agree on
// what a function's code is, how big it may be, and what a failure is
// called. Presigned locations carry credentials: they are never logged,
// returned or put in an error.
package functioncode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// MaxBytes bounds a deployment package or layer zip: Lambda allows 250 MB
// unzipped, and a zip is smaller.
const MaxBytes = 1 << 30

// LambdaAPI is the part of the Lambda API fetching code needs.
type LambdaAPI interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	GetLayerVersion(context.Context, *lambda.GetLayerVersionInput, ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error)
}

// Function is a deployed function's code as GetFunction describes it.
type Function struct {
	ARN  string // unqualified
	Code contract.Code
	Arch string // x86_64 or arm64: picks an image's platform
	// Tags are the function's LambdaScan* tags.
	Tags     map[string]string
	location string
}

// Identity is what identifies a function's deployed code for caching.
func Identity(sha *string, runtime lambdatypes.Runtime, pt lambdatypes.PackageType, layers []lambdatypes.Layer) contract.Code {
	var arns []string
	for _, l := range layers {
		arns = append(arns, aws.ToString(l.Arn))
	}
	return contract.NewCode(aws.ToString(sha), string(runtime), string(pt), arns)
}

// Get calls GetFunction. A missing function is FunctionNotFound, throttling
// and 5xx are TransientError, a function without code is CodeUnavailable.
func Get(ctx context.Context, c LambdaAPI, functionARN, qualifier string) (*Function, error) {
	in := &lambda.GetFunctionInput{FunctionName: aws.String(functionARN)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := c.GetFunction(ctx, in)
	if err != nil {
		if awsclient.IsNotFound(err) {
			return nil, &contract.FunctionNotFound{FunctionARN: functionARN}
		}
		return nil, callFailed("GetFunction "+functionARN, err)
	}
	cfg := out.Configuration
	if cfg == nil {
		return nil, unavailable("GetFunction returned no configuration for %s", functionARN)
	}
	f := &Function{ARN: functionARN, Code: Identity(cfg.CodeSha256, cfg.Runtime, cfg.PackageType, cfg.Layers),
		Tags: contract.ScanTags(out.Tags)}
	if len(cfg.Architectures) > 0 {
		f.Arch = string(cfg.Architectures[0])
	}
	if cfg.PackageType == lambdatypes.PackageTypeImage {
		if out.Code != nil {
			f.Code.ImageURI = aws.ToString(out.Code.ResolvedImageUri)
			if f.Code.ImageURI == "" {
				f.Code.ImageURI = aws.ToString(out.Code.ImageUri)
			}
		}
		if f.Code.ImageURI == "" {
			return nil, unavailable("GetFunction returned no image URI for %s", functionARN)
		}
		return f, nil
	}
	if out.Code == nil || aws.ToString(out.Code.Location) == "" {
		return nil, unavailable("GetFunction returned no code location for %s", functionARN)
	}
	f.location = aws.ToString(out.Code.Location)
	return f, nil
}

// IsImage says whether the function is deployed as a container image.
func (f *Function) IsImage() bool { return f.Code.ImageURI != "" }

// Open starts the download of the function's zip.
func (f *Function) Open(ctx context.Context, d Downloader) (io.ReadCloser, int64, error) {
	if f.location == "" {
		return nil, 0, unavailable("%s has no code zip", f.ARN)
	}
	return d.Open(ctx, f.location)
}

// Layer is one layer version's content.
type Layer struct {
	ARN        string
	CodeSha256 string
	Size       int64
	location   string
}

// GetLayer calls GetLayerVersion for a layer version ARN.
func GetLayer(ctx context.Context, c LambdaAPI, layerARN string) (*Layer, error) {
	l, err := arn.ParseLayer(layerARN)
	if err != nil {
		return nil, err
	}
	out, err := c.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(l.NameARN()), VersionNumber: aws.Int64(l.Version)})
	if err != nil {
		return nil, callFailed("GetLayerVersion "+layerARN, err)
	}
	if out.Content == nil || aws.ToString(out.Content.Location) == "" {
		return nil, unavailable("layer %s has no content location", layerARN)
	}
	return &Layer{ARN: layerARN, CodeSha256: aws.ToString(out.Content.CodeSha256), Size: out.Content.CodeSize,
		location: aws.ToString(out.Content.Location)}, nil
}

// Open starts the download of the layer's zip.
func (l *Layer) Open(ctx context.Context, d Downloader) (io.ReadCloser, int64, error) {
	return d.Open(ctx, l.location)
}

// Downloader GETs presigned locations.
type Downloader struct {
	// Client defaults to one with a 10-minute timeout (the URL expires then
	// anyway).
	Client *http.Client
	// Max bounds the bytes read (MaxBytes when 0): a larger body is
	// CodeTooLarge.
	Max int64
}

var defaultClient = &http.Client{Timeout: 10 * time.Minute}

// Open GETs url. The body fails with CodeTooLarge once it passes Max; size
// is -1 when the server did not say.
func (d Downloader) Open(ctx context.Context, location string) (io.ReadCloser, int64, error) {
	client, max := d.Client, d.Max
	if client == nil {
		client = defaultClient
	}
	if max <= 0 {
		max = MaxBytes
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
	if err != nil {
		return nil, 0, unavailable("malformed code location")
	}
	resp, err := client.Do(req)
	if err != nil {
		cause := errors.New("request failed")
		var ue *url.Error
		if errors.As(err, &ue) {
			cause = fmt.Errorf("request failed: %w", ue.Err) // the cause, without the URL
		}
		return nil, 0, &contract.TransientError{Op: "download code", Err: cause}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		err := fmt.Errorf("HTTP %d", resp.StatusCode)
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return nil, 0, &contract.TransientError{Op: "download code", Err: err}
		}
		return nil, 0, locationRefused(resp.StatusCode, req.URL, time.Now())
	}
	if resp.ContentLength > max {
		resp.Body.Close()
		return nil, 0, tooLarge(resp.ContentLength, max)
	}
	return &capped{body: resp.Body, left: max, max: max}, resp.ContentLength, nil
}

// Save downloads location into the file path.
func (d Downloader) Save(ctx context.Context, location, path string) error {
	body, _, err := d.Open(ctx, location)
	if err != nil {
		return err
	}
	defer body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Save downloads the function's zip into path.
func (f *Function) Save(ctx context.Context, d Downloader, path string) error {
	if f.location == "" {
		return unavailable("%s has no code zip", f.ARN)
	}
	return d.Save(ctx, f.location, path)
}

// Save downloads the layer's zip into path.
func (l *Layer) Save(ctx context.Context, d Downloader, path string) error {
	return d.Save(ctx, l.location, path)
}

// capped fails a body that passes its cap, and names a broken stream as
// transient (the network, not the code, is at fault).
type capped struct {
	body      io.ReadCloser
	left, max int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte past the cap tells a body of exactly max from a bigger one.
		var one [1]byte
		if n, _ := c.body.Read(one[:]); n > 0 {
			return 0, tooLarge(-1, c.max)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.body.Read(p)
	c.left -= int64(n)
	if err != nil && err != io.EOF {
		err = &contract.TransientError{Op: "download code", Err: err}
	}
	return n, err
}

func (c *capped) Close() error { return c.body.Close() }

// callFailed names a failed Lambda call: transient (retried) or, when
// the call itself is refused (access denied, bad request), CodeUnavailable.
func callFailed(op string, err error) error {
	if c := awsclient.Classify(op, err); c != err {
		return c
	}
	return &contract.ScanFailed{Name: schema.ErrCodeUnavailable, Message: fmt.Sprintf("%s: %v", op, err)}
}

// locationRefused names a code location that answered 4xx: expired
// (its signature's validity passed: X-Amz-Date + X-Amz-Expires, or SigV2's
// Expires), denied (403, 404), else CodeUnavailable. The URL itself is
// never in the message: it carries credentials.
func locationRefused(status int, u *url.URL, now time.Time) error {
	q := u.Query()
	expired := false
	if signed, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date")); err == nil {
		var secs int64
		if _, err := fmt.Sscan(q.Get("X-Amz-Expires"), &secs); err == nil {
			expired = !now.Before(signed.Add(time.Duration(secs) * time.Second))
		}
	} else if q.Get("Expires") != "" {
		var until int64
		if _, err := fmt.Sscan(q.Get("Expires"), &until); err == nil {
			expired = !now.Before(time.Unix(until, 0))
		}
	}
	switch {
	case expired && (status == http.StatusForbidden || status == http.StatusBadRequest):
		return &contract.ScanFailed{Name: schema.ErrCodeLocationExpired, Message: fmt.Sprintf("download code: HTTP %d, the presigned location has expired", status)}
	case status == http.StatusForbidden || status == http.StatusNotFound:
		return &contract.ScanFailed{Name: schema.ErrCodeLocationDenied, Message: fmt.Sprintf("download code: HTTP %d from the presigned location", status)}
	}
	return unavailable("download code: HTTP %d", status)
}

func unavailable(format string, a ...any) error {
	return &contract.ScanFailed{Name: schema.ErrCodeUnavailable, Message: fmt.Sprintf(format, a...)}
}

func tooLarge(size, max int64) error {
	msg := fmt.Sprintf("code larger than %d bytes", max)
	if size > 0 {
		msg = fmt.Sprintf("code of %d bytes: larger than %d", size, max)
	}
	return &contract.ScanFailed{Name: schema.ErrCodeTooLarge, Message: msg}
}
