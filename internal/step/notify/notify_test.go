package notify_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/internal/step/notify"
	"github.com/lambdascan/lambdascan/internal/step/steptest"
	"github.com/lambdascan/lambdascan/shared/contract"
)

type fakeSNS struct{ in []*sns.PublishInput }

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.in = append(f.in, in)
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
}

func TestNotify(t *testing.T) {
	const topic = "arn:aws:sns:eu-west-1:123456789012:lambdascan-findings"
	for _, tc := range []struct {
		name, state, topic, severity string
		published                    bool
		attrs                        map[string]string
	}{
		{"high below critical", "notify-scanned", topic, "critical", false, nil},
		{"high at high", "notify-scanned", topic, "high", true, map[string]string{"maxSeverity": "high", "status": "complete", "functionName": "orders", "account": "123456789012", "region": "eu-west-1"}},
		{"critical", "notify-critical", topic, "high", true, map[string]string{"maxSeverity": "critical", "status": "partial", "functionName": "orders", "account": "123456789012", "region": "eu-west-1"}},
		{"failure always", "record-failed", topic, "critical", true, map[string]string{"maxSeverity": "none", "status": "failed", "functionName": "broken", "account": "123456789012", "region": "eu-west-1"}},
		{"no topic", "record-failed", "", "high", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSNS{}
			h := &notify.Handler{TopicARN: tc.topic, Severity: tc.severity, SNS: f}
			var in contract.RecordInput
			steptest.Decode(t, tc.state, &in)
			out, err := h.Handle(context.Background(), in)
			require.NoError(t, err)
			assert.Equal(t, tc.published, out.Published)
			if !tc.published {
				assert.Empty(t, f.in)
				assert.NotEmpty(t, out.Reason)
				return
			}
			require.Len(t, f.in, 1)
			got := map[string]string{}
			for k, v := range f.in[0].MessageAttributes {
				got[k] = aws.ToString(v.StringValue)
			}
			assert.Equal(t, tc.attrs, got)
			var n notify.Notification
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(f.in[0].Message)), &n))
			assert.Equal(t, in.Target.FunctionARN, n.FunctionARN)
			if in.Error != nil {
				assert.Equal(t, "CorruptPackage", n.Error)
			}
		})
	}
}
