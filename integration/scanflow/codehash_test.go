package scanflow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report"
)

// swap replaces the stored code object behind a function or layer version
// after deploy: GetFunction still reports the deployed CodeSha256, the
// presigned location now serves other bytes.
func swap(t *testing.T, codeKey, withPackage string) {
	t.Helper()
	other, err := os.ReadFile(pkg(withPackage))
	require.NoError(t, err)
	_, err = env.AWS.S3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(localstack.CodeBucket), Key: aws.String(codeKey), Body: bytes.NewReader(other)})
	require.NoError(t, err)
}

// runMismatch runs the event and checks what every CodeHashMismatch ends
// with: a failed execution naming it, the failed attempt recorded, a cache
// item that is never a hit, nothing scanned, and nothing staged.
func runMismatch(t *testing.T, name, fn, stagedSha string) {
	t.Helper()
	ctx := context.Background()
	scans := env.Stack.Invocations(localstack.FunctionName("scan"))
	exec, err := env.Emit(ctx, "CreateFunction20150331", fn, "")
	require.NoError(t, err)
	out, err := env.Wait(ctx, exec, 3*time.Minute)
	require.NoError(t, err)
	require.Equal(t, sfntypes.ExecutionStatusFailed, out.Status)
	assert.Equal(t, "CodeHashMismatch", aws.ToString(out.Error), aws.ToString(out.Cause))
	assert.Equal(t, scans, env.Stack.Invocations(localstack.FunctionName("scan")), "never scanned")

	var r report.Report
	getJSON(t, onlyReport(t, name), &r)
	require.NotNil(t, r.Error, "the failed attempt is recorded")
	assert.Equal(t, "CodeHashMismatch", string(r.Error.Name))
	item, ok, err := env.Cache.GetFunction(ctx, fn)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "failed", item.Status, "recorded, never a cache hit")
	_, err = env.AWS.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(localstack.Bucket), Key: aws.String(contract.StagingKey(stagedSha))})
	assert.Error(t, err, "nothing staged under the reported hash")

	res, err := env.AWS.CloudWatch.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(time.Now().Add(-10 * time.Minute)), EndTime: aws.Time(time.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"),
			Metric: &cwtypes.Metric{Namespace: aws.String("LambdaScan"), MetricName: aws.String(contract.MetricCodeHashMismatch)}}}},
	})
	require.NoError(t, err)
	var sum float64
	for _, v := range res.MetricDataResults[0].Values {
		sum += v
	}
	assert.GreaterOrEqual(t, sum, 1.0, "counted (the alarm's metric)")
}

// The function's stored zip is swapped after deploy.
func TestCodeHashFunctionZipSwapped(t *testing.T) {
	path, codeKey := uniqueZip(t, "python-requirements.zip", "codehash-function")
	fn, err := env.CreateFunction(context.Background(), "codehash-function", path, "python3.12", nil, nil)
	require.NoError(t, err)
	deployed, err := os.ReadFile(path)
	require.NoError(t, err)
	swap(t, codeKey, "node-api.zip")
	runMismatch(t, "codehash-function", fn, sha256b64(deployed))
}

// A layer version's stored zip is swapped after it was published: checked
// against GetLayerVersion's CodeSha256, and the layer is not cached.
func TestCodeHashLayerSwapped(t *testing.T) {
	ctx := context.Background()
	layerPath, layerKey := uniqueZip(t, "layer-python-yaml.zip", "codehash-layer")
	layer, err := env.PublishLayer(ctx, "codehash-layer", layerPath)
	require.NoError(t, err)
	fnPath, _ := uniqueZip(t, "python-requirements.zip", "codehash-with-layer")
	fn, err := env.CreateFunction(ctx, "codehash-with-layer", fnPath, "python3.12", []string{layer}, nil)
	require.NoError(t, err)
	published, err := os.ReadFile(layerPath)
	require.NoError(t, err)
	swap(t, layerKey, "node-bundle.zip")
	runMismatch(t, "codehash-with-layer", fn, sha256b64(published))
	_, ok, err := env.Cache.GetLayer(ctx, layer)
	require.NoError(t, err)
	assert.False(t, ok, "the layer version is not recorded as staged")
}

func sha256b64(b []byte) string {
	sum := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}
