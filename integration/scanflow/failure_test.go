package scanflow

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/lambdascan/lambdascan/integration/localstack"

	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report"
)

// A package the engine cannot read takes the failure path: the attempt is
// stored, the function tagged failed, a failure metric and a notification
// published, and the execution FAILS with the named error (redrivable).
func TestPermanentFailure(t *testing.T) {
	ctx := context.Background()
	// A truncated zip: the scan cannot read it and fails with CorruptPackage.
	bad := filepath.Join(t.TempDir(), "bad.zip")
	good, err := os.ReadFile(pkg("node-api.zip"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bad, good[:len(good)-60], 0o644))
	fn, err := env.CreateFunction(ctx, "broken", bad, "nodejs20.x", nil, nil)
	require.NoError(t, err)
	exec, err := env.Emit(ctx, "CreateFunction20150331", fn, "")
	require.NoError(t, err)
	out, err := env.Wait(ctx, exec, 3*time.Minute)
	require.NoError(t, err)
	require.Equal(t, sfntypes.ExecutionStatusFailed, out.Status)
	assert.Equal(t, "CorruptPackage", aws.ToString(out.Error), "the engine's name is the Step Functions error")
	assert.Contains(t, aws.ToString(out.Cause), "CorruptPackage")

	tags, err := env.AWS.Lambda.ListTags(ctx, &lambdasvc.ListTagsInput{Resource: aws.String(fn)})
	require.NoError(t, err)
	assert.Equal(t, "failed", tags.Tags["LambdaScanStatus"])

	var r report.Report
	getJSON(t, onlyReport(t, "broken"), &r)
	assert.Equal(t, report.StatusFailed, r.Status)
	require.NotNil(t, r.Error)
	assert.Equal(t, report.ErrorName("CorruptPackage"), r.Error.Name)

	item, ok, err := env.Cache.GetFunction(ctx, fn)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "failed", item.Status, "a failed scan is recorded and never a cache hit")

	msgs := findingsMessages(t, "broken")
	require.NotEmpty(t, msgs)
	assert.Equal(t, "failed", msgs[0].attrs["status"])
}

type snsMessage struct {
	body  map[string]any
	attrs map[string]string
}

// findingsMessages reads what SNS delivered to the subscribed queue for a function.
func findingsMessages(t *testing.T, function string) []snsMessage {
	t.Helper()
	ctx := context.Background()
	c := sqs.NewFromConfig(env.AWS.Config, func(o *sqs.Options) { o.BaseEndpoint = aws.String(env.Stack.Endpoint) })
	var out []snsMessage
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && len(out) == 0 {
		res, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(env.FindingsQueue), MaxNumberOfMessages: 10,
			WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
		require.NoError(t, err)
		for _, m := range res.Messages {
			// SNS wraps the message: {"Type":"Notification","Message":"...","MessageAttributes":{...}}
			var env struct {
				Message           string                                  `json:"Message"`
				MessageAttributes map[string]struct{ Type, Value string } `json:"MessageAttributes"`
			}
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &env))
			msg := snsMessage{attrs: map[string]string{}}
			require.NoError(t, json.Unmarshal([]byte(env.Message), &msg.body))
			for k, v := range env.MessageAttributes {
				msg.attrs[k] = v.Value
			}
			if msg.attrs["functionName"] == function {
				out = append(out, msg)
			}
		}
	}
	return out
}

// Findings at or above the notify severity reach subscribers with filterable
// attributes; metrics read back with GetMetricData.
func TestNotificationAndMetrics(t *testing.T) {
	ctx := context.Background()
	start := time.Now().Add(-time.Minute)
	fn, err := env.CreateFunction(ctx, "shop-frontend", pkg("java-shaded.zip"), "java17", nil, nil)
	require.NoError(t, err)
	o, _ := run(t, "CreateFunction20150331", fn)
	require.Equal(t, "scanned", o.Outcome)

	msgs := findingsMessages(t, "shop-frontend")
	require.Len(t, msgs, 1)
	m := msgs[0]
	assert.Equal(t, "critical", m.attrs["maxSeverity"], "log4j-core 2.14.1")
	assert.Equal(t, "123456789012", m.attrs["account"])
	assert.Equal(t, "eu-west-1", m.attrs["region"])
	assert.Equal(t, "complete", m.attrs["status"])
	assert.Equal(t, fn, m.body["functionArn"])

	res, err := env.AWS.CloudWatch.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(time.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{
			{Id: aws.String("ok"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"),
				Metric: &cwtypes.Metric{Namespace: aws.String(contract.MetricsNamespace), MetricName: aws.String(contract.MetricScanSuccess)}}},
			{Id: aws.String("crit"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"),
				Metric: &cwtypes.Metric{Namespace: aws.String(contract.MetricsNamespace), MetricName: aws.String(contract.MetricVulnerabilities),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("Severity"), Value: aws.String("critical")}}}}},
		},
	})
	require.NoError(t, err)
	sums := map[string]float64{}
	for _, r := range res.MetricDataResults {
		for _, v := range r.Values {
			sums[aws.ToString(r.Id)] += v
		}
	}
	assert.GreaterOrEqual(t, sums["ok"], 1.0)
	assert.GreaterOrEqual(t, sums["crit"], 1.0)
}

// onlyReport is the one report stored for a function that never had a
// successful scan (failed attempts do not move latest.json).
func onlyReport(t *testing.T, function string) string {
	t.Helper()
	out, err := env.AWS.S3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(localstack.Bucket),
		Prefix: aws.String("reports/123456789012/eu-west-1/" + function + "/")})
	require.NoError(t, err)
	require.Len(t, out.Contents, 1)
	assert.NotContains(t, aws.ToString(out.Contents[0].Key), "latest.json")
	return aws.ToString(out.Contents[0].Key)
}
