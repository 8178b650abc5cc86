package scanflow

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report"
)

// The mirror rebuilds the index from the (loopback) OSV bucket and moves the
// pointer; the next event for unchanged code misses the cache, because the
// DB version is part of the key, and the scan uses the new index.
func TestMirrorPublishesAndNextScanUsesIt(t *testing.T) {
	ctx := context.Background()
	fn, err := env.CreateFunction(ctx, "mirror-check", pkg("node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)
	o, _ := run(t, "CreateFunction20150331", fn)
	var first report.Report
	getJSON(t, o.Stored.ReportKey, &first)

	time.Sleep(1100 * time.Millisecond) // versions carry the build second
	out, err := env.AWS.Lambda.Invoke(ctx, &lambdasvc.InvokeInput{FunctionName: aws.String(localstack.FunctionName(contract.StepMirror)), Payload: []byte("{}")})
	require.NoError(t, err)
	require.Nil(t, out.FunctionError, string(out.Payload))
	current, err := env.VulnDB.Current(ctx)
	require.NoError(t, err)
	require.NotEqual(t, first.DB.Version, current.Version)
	assert.Equal(t, first.DB.ContentHash[7:19], current.Version[len(current.Version)-12:], "same data, same content hash")

	o, _ = run(t, "UpdateFunctionConfiguration20150331v2", fn)
	assert.Equal(t, "scanned", o.Outcome, "a new DB version is a cache miss")
	var second report.Report
	getJSON(t, o.Stored.ReportKey, &second)
	assert.Equal(t, current.Version, second.DB.Version)
	assert.Equal(t, len(first.Findings), len(second.Findings))
}

// No state carries more than a few KiB: reports and packages travel as S3 keys.
func TestStatePayloadsStaySmall(t *testing.T) {
	ctx := context.Background()
	fn, err := env.CreateFunction(ctx, "payload-check", pkg("node-bundle.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)
	_, exec := run(t, "CreateFunction20150331", fn)
	hist, err := env.AWS.SFN.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec), MaxResults: 1000})
	require.NoError(t, err)
	largest := 0
	for _, ev := range hist.Events {
		for _, s := range []*string{inputOf(ev), outputOf(ev)} {
			largest = max(largest, len(aws.ToString(s)))
		}
	}
	t.Logf("largest state payload: %d bytes over %d history events", largest, len(hist.Events))
	assert.Less(t, largest, 8<<10)
	assert.Greater(t, largest, 0, "history carries the payloads")
}

// Every mirror run publishes the age of the current index (the alarm's
// metric): just built, it is minutes old.
func TestMirrorPublishesIndexAge(t *testing.T) {
	ctx := context.Background()
	start := time.Now().Add(-time.Minute)
	out, err := env.AWS.Lambda.Invoke(ctx, &lambdasvc.InvokeInput{FunctionName: aws.String(localstack.FunctionName(contract.StepMirror)), Payload: []byte("{}")})
	require.NoError(t, err)
	require.Nil(t, out.FunctionError, string(out.Payload))
	res, err := env.AWS.CloudWatch.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(time.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("age"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Maximum"),
			Metric: &cwtypes.Metric{Namespace: aws.String("LambdaScan"), MetricName: aws.String(contract.MetricIndexAgeHours)}}}},
	})
	require.NoError(t, err)
	require.NotEmpty(t, res.MetricDataResults[0].Values, "IndexAgeHours published")
	for _, v := range res.MetricDataResults[0].Values {
		assert.Less(t, v, 0.5, "hours")
	}
}
