package functioncode_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/functioncode"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

type fakeLambda struct {
	fn  *lambda.GetFunctionOutput
	lv  *lambda.GetLayerVersionOutput
	err error
}

func (f *fakeLambda) GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	return f.fn, f.err
}

func (f *fakeLambda) GetLayerVersion(context.Context, *lambda.GetLayerVersionInput, ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	return f.lv, f.err
}

const fnARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders"

func TestGet(t *testing.T) {
	zip := &lambda.GetFunctionOutput{
		Configuration: &lambdatypes.FunctionConfiguration{CodeSha256: aws.String("abc="), Runtime: lambdatypes.RuntimeNodejs20x,
			Architectures: []lambdatypes.Architecture{lambdatypes.ArchitectureArm64},
			Layers:        []lambdatypes.Layer{{Arn: aws.String("arn:aws:lambda:eu-west-1:123456789012:layer:b:1")}, {Arn: aws.String("arn:aws:lambda:eu-west-1:123456789012:layer:a:2")}}},
		Code: &lambdatypes.FunctionCodeLocation{Location: aws.String("https://bucket.example/code.zip?X-Amz-Signature=secret")},
		Tags: map[string]string{contract.TagStatus: "complete", "team": "orders"},
	}
	image := &lambda.GetFunctionOutput{
		Configuration: &lambdatypes.FunctionConfiguration{CodeSha256: aws.String("def="), PackageType: lambdatypes.PackageTypeImage},
		Code:          &lambdatypes.FunctionCodeLocation{ImageUri: aws.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1"), ResolvedImageUri: aws.String("123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:0123")},
	}
	noCode := &lambda.GetFunctionOutput{Configuration: &lambdatypes.FunctionConfiguration{CodeSha256: aws.String("abc=")}}
	for _, tc := range []struct {
		name    string
		f       *fakeLambda
		image   string
		layers  []string
		errName string
		errAs   any
	}{
		{name: "zip", f: &fakeLambda{fn: zip}, layers: []string{"arn:aws:lambda:eu-west-1:123456789012:layer:a:2", "arn:aws:lambda:eu-west-1:123456789012:layer:b:1"}},
		{name: "image", f: &fakeLambda{fn: image}, image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:0123"},
		{name: "no code", f: &fakeLambda{fn: noCode}, errName: "CodeUnavailable"},
		{name: "gone", f: &fakeLambda{err: &smithy.GenericAPIError{Code: "ResourceNotFoundException"}}, errName: "FunctionNotFound"},
		{name: "throttled", f: &fakeLambda{err: &smithy.GenericAPIError{Code: "TooManyRequestsException"}}, errName: "TransientError"},
		{name: "denied", f: &fakeLambda{err: &smithy.GenericAPIError{Code: "AccessDeniedException"}}, errName: "CodeUnavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn, err := functioncode.Get(context.Background(), tc.f, fnARN, "")
			if tc.errName != "" {
				var named contract.Named
				require.ErrorAs(t, err, &named)
				assert.Equal(t, tc.errName, named.ErrorType())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.image, fn.Code.ImageURI)
			assert.Equal(t, tc.image != "", fn.IsImage())
			if !fn.IsImage() {
				assert.Equal(t, tc.layers, fn.Code.Layers, "sorted: the cache compares them")
				assert.Equal(t, "Zip", fn.Code.PackageType)
				assert.Equal(t, "arm64", fn.Arch)
				assert.Equal(t, map[string]string{contract.TagStatus: "complete"}, fn.Tags, "only the scanner's tags")
			}
		})
	}
}

func TestDownload(t *testing.T) {
	body := strings.Repeat("z", 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			io.WriteString(w, body)
		case "/chunked": // no Content-Length: the cap applies while reading
			w.(http.Flusher).Flush()
			io.WriteString(w, body)
		case "/expired":
			http.Error(w, "Request has expired", http.StatusForbidden)
		case "/busy":
			http.Error(w, "SlowDown", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	read := func(d functioncode.Downloader, path string) (string, error) {
		rc, _, err := d.Open(context.Background(), srv.URL+path+"?X-Amz-Signature=secret")
		if err != nil {
			return "", err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		return string(b), err
	}
	for _, tc := range []struct {
		name, path string
		max        int64
		errName    schema.ErrorName
		transient  bool
	}{
		{name: "ok", path: "/ok", max: 1000},
		{name: "chunked", path: "/chunked", max: 1000},
		{name: "declared too large", path: "/ok", max: 999, errName: schema.ErrCodeTooLarge},
		{name: "streamed too large", path: "/chunked", max: 999, errName: schema.ErrCodeTooLarge},
		{name: "refused URL", path: "/expired", errName: schema.ErrCodeLocationDenied},
		{name: "expired URL", path: "/expired?X-Amz-Date=20200101T000000Z&X-Amz-Expires=600", errName: schema.ErrCodeLocationExpired},
		{name: "server busy", path: "/busy", transient: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := read(functioncode.Downloader{Max: tc.max}, tc.path)
			switch {
			case tc.errName != "":
				var sf *contract.ScanFailed
				require.ErrorAs(t, err, &sf)
				assert.Equal(t, tc.errName, sf.Name)
			case tc.transient:
				var tr *contract.TransientError
				require.ErrorAs(t, err, &tr)
			default:
				require.NoError(t, err)
				assert.Equal(t, body, got)
			}
			if err != nil {
				assert.NotContains(t, err.Error(), "secret", "a presigned URL carries credentials")
			}
		})
	}
}

// A refused connection keeps its cause, without the URL.
func TestDownloadKeepsTheCause(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/code.zip?X-Amz-Signature=secret"
	srv.Close()
	_, _, err := functioncode.Downloader{}.Open(context.Background(), url)
	var tr *contract.TransientError
	require.ErrorAs(t, err, &tr)
	assert.Contains(t, err.Error(), "connection refused")
	assert.NotContains(t, err.Error(), "secret")
	assert.False(t, errors.Is(err, context.Canceled))
}
