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
		ignoreUnknown                bool
		summary                      func(*contract.Summary) // changes to the state's summary
	}{
		{"high below critical", "notify-scanned", topic, "critical", false, nil, false, nil},
		{"high at high", "notify-scanned", topic, "high", true, map[string]string{"maxSeverity": "high", "status": "complete", "functionName": "orders", "account": "123456789012", "region": "eu-west-1", "kev": "0"}, false, nil},
		{"critical", "notify-critical", topic, "high", true, map[string]string{"maxSeverity": "critical", "status": "partial", "functionName": "orders", "account": "123456789012", "region": "eu-west-1", "kev": "0"}, false, nil},
		{"failure always", "record-failed", topic, "critical", true, map[string]string{"maxSeverity": "none", "status": "failed", "functionName": "broken", "account": "123456789012", "region": "eu-west-1", "kev": "0"}, false, nil},
		{"no topic", "record-failed", "", "high", false, nil, false, nil},
		// Unknown is never quieter than low: it notifies at any level, unless ignored.
		{"unknown at critical", "notify-scanned", topic, "critical", true, map[string]string{"maxSeverity": "unknown", "status": "complete", "functionName": "orders", "account": "123456789012", "region": "eu-west-1", "kev": "0"}, false, unknownOnly},
		{"unknown ignored", "notify-scanned", topic, "low", false, nil, true, unknownOnly},
		// A KEV finding notifies whatever its severity, and is named.
		{"kev below the level", "notify-scanned", topic, "critical", true, map[string]string{"maxSeverity": "high", "status": "complete", "functionName": "orders", "account": "123456789012", "region": "eu-west-1", "kev": "1"}, false,
			func(s *contract.Summary) { s.KEV, s.KEVFindings = 1, []string{"GHSA-test example@1.0.0"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeSNS{}
			h := &notify.Handler{TopicARN: tc.topic, Severity: tc.severity, IgnoreUnknown: tc.ignoreUnknown, SNS: f}
			var in contract.RecordInput
			steptest.Decode(t, tc.state, &in)
			if tc.summary != nil {
				tc.summary(in.Summary)
			}
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
			if n.KEV > 0 {
				assert.Equal(t, []string{"GHSA-test example@1.0.0"}, n.KEVFindings)
				assert.Contains(t, aws.ToString(f.in[0].Subject), "1 known exploited")
			}
		})
	}
}

func unknownOnly(s *contract.Summary) {
	s.MaxSeverity, s.Findings = "unknown", 3
	s.BySeverity = map[string]int{"critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 3}
}
