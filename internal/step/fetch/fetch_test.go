package fetch_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/internal/step/fetch"
	"github.com/lambdascan/lambdascan/internal/step/steptest"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/functioncode"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

const (
	bucket   = "lambdascan-test"
	layerARN = "arn:aws:lambda:eu-west-1:123456789012:layer:auth:4"
	// The SHA-256 of what the code server below serves: fetch checks it.
	codeSha  = "jaKnZMIUDgJ18O8XOsSTwq2+vSow5KAmY54TltP4bgU=" // "function" x 100
	layerSha = "udOxsgmK2Ia1j3/qC+/vKNaLv/s3Diocg69jRGh0kwE=" // "layer" x 100
)

// fakeLambda answers as Lambda does: presigned locations on the code server.
type fakeLambda struct {
	url                   string
	getFunction, getLayer int
}

func (f *fakeLambda) GetFunction(_ context.Context, in *lambda.GetFunctionInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error) {
	f.getFunction++
	return &lambda.GetFunctionOutput{
		Configuration: &lambdatypes.FunctionConfiguration{FunctionArn: in.FunctionName, CodeSha256: aws.String(codeSha),
			Runtime: lambdatypes.RuntimeNodejs20x, PackageType: lambdatypes.PackageTypeZip, Layers: []lambdatypes.Layer{{Arn: aws.String(layerARN)}}},
		Code: &lambdatypes.FunctionCodeLocation{Location: aws.String(f.url + "/function.zip?X-Amz-Signature=s")},
		Tags: map[string]string{contract.TagStatus: "complete"},
	}, nil
}

func (f *fakeLambda) GetLayerVersion(_ context.Context, _ *lambda.GetLayerVersionInput, _ ...func(*lambda.Options)) (*lambda.GetLayerVersionOutput, error) {
	f.getLayer++
	return &lambda.GetLayerVersionOutput{Content: &lambdatypes.LayerVersionContentOutput{
		Location: aws.String(f.url + "/layer.zip?X-Amz-Signature=s"), CodeSha256: aws.String(layerSha), CodeSize: 300}}, nil
}

func TestFetchZip(t *testing.T) {
	var downloads atomic.Int32
	code := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		downloads.Add(1)
		io.WriteString(w, strings.Repeat(strings.TrimSuffix(r.URL.Path[1:], ".zip"), 100))
	}))
	defer code.Close()
	s3 := &steptest.S3{}
	table := &cache.Table{DDB: &steptest.DynamoDB{}, Name: "cache", TTL: time.Hour}
	fl := &fakeLambda{url: code.URL}
	newHandler := func(max int64) *fetch.Handler {
		return &fetch.Handler{Config: config.Config{Bucket: bucket, TmpDir: t.TempDir()}, S3: s3, Cache: table,
			Pace: &cache.RateLimit{}, GetFunctionPace: &cache.RateLimit{}, Download: functioncode.Downloader{Max: max},
			Lambda: func(context.Context, string, string) (functioncode.LambdaAPI, error) { return fl, nil }}
	}
	var in contract.FetchInput
	steptest.Decode(t, "fetch", &in)

	out, err := newHandler(0).Handle(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, contract.StagingKey(codeSha), out.Function.Key)
	assert.Equal(t, int64(800), out.Function.Size)
	require.Len(t, out.Layers, 1)
	assert.Equal(t, layerARN, out.Layers[0].LayerARN)
	assert.Equal(t, contract.StagingKey(layerSha), out.Layers[0].Key)
	assert.Equal(t, int64(800+500), out.Bytes)
	assert.Equal(t, []string{layerARN}, out.Code.Layers)
	assert.Equal(t, map[string]string{contract.TagStatus: "complete"}, out.Tags)
	assert.Equal(t, strings.Repeat("function", 100), string(s3.Objects[bucket+"/"+out.Function.Key]))
	assert.EqualValues(t, 2, downloads.Load())

	// Staged already: content-addressed keys and the layer's cache item
	// spare the downloads and the GetLayerVersion call.
	again, err := newHandler(0).Handle(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, out.Function.Key, again.Function.Key)
	assert.Zero(t, again.Bytes)
	assert.EqualValues(t, 2, downloads.Load())
	assert.Equal(t, 1, fl.getLayer)
	assert.Equal(t, 2, fl.getFunction)
}

func TestFetchTooLarge(t *testing.T) {
	code := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, strings.Repeat("x", 2048))
	}))
	defer code.Close()
	fl := &fakeLambda{url: code.URL}
	h := &fetch.Handler{Config: config.Config{Bucket: bucket, TmpDir: t.TempDir()}, S3: &steptest.S3{},
		Cache: &cache.Table{DDB: &steptest.DynamoDB{}, Name: "cache"}, Pace: &cache.RateLimit{}, GetFunctionPace: &cache.RateLimit{},
		Download: functioncode.Downloader{Max: 1024},
		Lambda:   func(context.Context, string, string) (functioncode.LambdaAPI, error) { return fl, nil }}
	var in contract.FetchInput
	steptest.Decode(t, "fetch", &in)
	_, err := h.Handle(context.Background(), in)
	var sf *contract.ScanFailed
	require.ErrorAs(t, err, &sf)
	assert.Equal(t, schema.ErrCodeTooLarge, sf.Name, "the Step Functions error and the stored report's error.name")
}
