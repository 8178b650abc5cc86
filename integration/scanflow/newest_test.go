package scanflow

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report"
)

// Two executions for one function with different code: the older one's
// Store is held until the newer one has finished. The older still stores
// its own report, but the cache item, latest.json and the tags stay the
// newer one's.
func TestNewestWins(t *testing.T) {
	ctx := context.Background()
	v1Path, _ := uniqueZip(t, "python-requirements.zip", "newest-v1")
	v2Path, _ := uniqueZip(t, "node-api.zip", "newest-v2")
	v1, err := os.ReadFile(v1Path)
	require.NoError(t, err)
	v2, err := os.ReadFile(v2Path)
	require.NoError(t, err)
	fn, err := env.CreateFunction(ctx, "newest", v1Path, "python3.12", nil, nil)
	require.NoError(t, err)

	gate := make(chan struct{})
	var release sync.Once
	t.Cleanup(func() { release.Do(func() { close(gate) }); env.Stack.ClearFaults() })
	store := localstack.FunctionName("store")
	held := env.Stack.Inject(localstack.Fault{Service: "lambda", Operation: "Invoke", Times: 1, Kind: localstack.Slow, Gate: gate,
		Match: func(r *http.Request, body []byte) bool {
			return strings.HasSuffix(r.URL.Path, store+"/invocations") && bytes.Contains(body, []byte(sha256b64(v1)))
		}})

	input := `{"functionArn":"` + fn + `","force":true}`
	older, err := env.Start(ctx, "newest-older", input)
	require.NoError(t, err)
	deadline := time.Now().Add(2 * time.Minute)
	for len(held.Hits()) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	require.Len(t, held.Hits(), 1, "the older execution reached Store")

	require.NoError(t, env.UpdateCode(ctx, "newest", v2Path))
	newer, err := env.Start(ctx, "newest-newer", input)
	require.NoError(t, err)
	outNewer := waitOutput(t, newer)
	release.Do(func() { close(gate) })
	outOlder := waitOutput(t, older)

	assert.False(t, outNewer.Stored.Superseded)
	assert.True(t, outOlder.Stored.Superseded, "the older execution learned it was superseded")
	assert.NotEqual(t, outNewer.Stored.ReportKey, outOlder.Stored.ReportKey)

	list, err := env.AWS.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(localstack.Bucket), Prefix: aws.String("reports/123456789012/eu-west-1/newest/")})
	require.NoError(t, err)
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	var want []string
	for _, k := range []string{outOlder.Stored.ReportKey, outNewer.Stored.ReportKey, outNewer.Stored.LatestKey} {
		want = append(want, k, contract.SBOMKey(k, contract.FormatCycloneDX), contract.SBOMKey(k, contract.FormatSPDX))
	}
	assert.ElementsMatch(t, want, keys, "both reports and latest.json, each with its SBOM copies")

	item, ok, err := env.Cache.GetFunction(ctx, fn)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, outNewer.Stored.ReportKey, item.ReportKey, "the cache item is the newer one's")
	assert.Equal(t, sha256b64(v2), item.Code.CodeSha256)
	var latest report.Report
	getJSON(t, outNewer.Stored.LatestKey, &latest)
	assert.Equal(t, sha256b64(v2), latest.Target.CodeSha256, "latest.json is the newer one's")
	var olderReport report.Report
	getJSON(t, outOlder.Stored.ReportKey, &olderReport)
	assert.Equal(t, sha256b64(v1), olderReport.Target.CodeSha256, "the older one's own report is kept")

	tags, err := env.AWS.Lambda.ListTags(ctx, &lambdasvc.ListTagsInput{Resource: aws.String(fn)})
	require.NoError(t, err)
	assert.Equal(t, "C1-H2-M1-L0-U0-K0", tags.Tags["LambdaScanFindings"], "the tags are the newer (node) scan's")
}

type newestOutput struct {
	Stored struct {
		ReportKey  string `json:"reportKey"`
		LatestKey  string `json:"latestKey"`
		Superseded bool   `json:"superseded"`
	} `json:"stored"`
}

func waitOutput(t *testing.T, exec string) newestOutput {
	t.Helper()
	out, err := env.Wait(context.Background(), exec, 3*time.Minute)
	require.NoError(t, err)
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, out.Status, "%s %s", aws.ToString(out.Error), aws.ToString(out.Cause))
	var o newestOutput
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.Output)), &o))
	return o
}
