package bulkreport_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/internal/step/bulkreport"
	"github.com/lambdascan/lambdascan/internal/step/steptest"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/contract"
)

type fakeSNS struct{ in []*sns.PublishInput }

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.in = append(f.in, in)
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
}

func TestBulkReport(t *testing.T) {
	const bucket = "lambdascan-test"
	fn := func(name string) string { return "arn:aws:lambda:eu-west-1:123456789012:function:" + name }
	started := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	table := &cache.Table{DDB: &steptest.DynamoDB{}, Name: "cache", TTL: 30 * 24 * time.Hour}
	for _, it := range []cache.FunctionItem{
		{FunctionARN: fn("orders"), Status: "complete", MaxSeverity: "critical", ScannedAt: started.Add(time.Minute)},
		{FunctionARN: fn("billing"), Status: "failed", ScannedAt: started.Add(2 * time.Minute)},
		{FunctionARN: fn("thumbs"), Status: "complete", MaxSeverity: "high", ScannedAt: started.Add(-24 * time.Hour)},
	} {
		_, err := table.PutFunction(context.Background(), it)
		require.NoError(t, err)
	}
	s3 := &steptest.S3{}
	items, _ := json.Marshal([]contract.BulkItem{{FunctionArn: fn("orders") + ":live"}, {FunctionArn: fn("billing")}, {FunctionArn: fn("thumbs")}, {FunctionArn: fn("new")}})
	s3.Put(bucket, "bulk/nightly-20261120/items.json", items)
	topic := &fakeSNS{}
	h := &bulkreport.Handler{Bucket: bucket, TopicARN: "arn:aws:sns:eu-west-1:123456789012:lambdascan-ops", S3: s3, SNS: topic, Cache: table}

	var in contract.BulkSummaryInput
	steptest.Decode(t, "bulk-report", &in)
	out, err := h.Handle(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, 4, out.Total)
	assert.Equal(t, map[string]int{"complete": 1, "failed": 1, "cached": 1, "not-scanned": 1}, out.ByStatus)
	assert.Equal(t, []string{fn("orders")}, out.Critical, "qualified items count under the function")
	assert.Equal(t, []string{fn("thumbs")}, out.High)
	assert.Equal(t, []string{fn("billing")}, out.Failed)
	assert.Equal(t, []string{fn("new")}, out.NotScanned)
	assert.Equal(t, contract.BulkSummaryKey("nightly-20261120"), out.Key)

	var stored contract.BulkSummary
	require.NoError(t, json.Unmarshal(s3.Objects[bucket+"/"+out.Key], &stored))
	assert.Equal(t, out, stored)
	require.Len(t, topic.in, 1)
	assert.Equal(t, "failed", aws.ToString(topic.in[0].MessageAttributes["status"].StringValue), "a failed or unscanned item fails the run")
}
