package scanflow

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/internal/step/notify"
	"github.com/lambdascan/lambdascan/internal/step/tag"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// Findings of unknown severity are never quieter than low ones: the tag
// counts them and SNS fires on them at the default notify severity (high);
// KEV findings are counted in the tag and named in the message. The Tag and
// Notify steps run against the local stack with the summary a scan of such
// a function gives.
func TestUnknownAndKEVAreTaggedAndNotified(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		summary contract.Summary
		tag     string
		kev     string
	}{
		{"unrated-deps", contract.Summary{Status: "complete", Findings: 2, MaxSeverity: "unknown",
			BySeverity: map[string]int{"critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 2}}, "C0-H0-M0-L0-U2-K0", "0"},
		{"exploited-deps", contract.Summary{Status: "complete", Findings: 1, MaxSeverity: "medium", KEV: 1, KEVFindings: []string{"GHSA-test example@1.0.0"},
			BySeverity: map[string]int{"critical": 0, "high": 0, "medium": 1, "low": 0, "unknown": 0}}, "C0-H0-M1-L0-U0-K1", "1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fn, err := env.CreateFunction(ctx, tc.name, pkg("python-requirements.zip"), "python3.12", nil, nil)
			require.NoError(t, err)
			in := contract.RecordInput{Outcome: "scanned", StartedAt: "2026-11-29T18:00:00Z", Summary: &tc.summary,
				Target: contract.Target{FunctionARN: fn, Partition: "aws", Region: localstack.Region, Account: "123456789012", Name: tc.name, Trigger: "direct"}}
			tagged, err := tag.New(env.Config, env.AWS.Env).Handle(ctx, in)
			require.NoError(t, err)
			require.True(t, tagged.Tagged)
			tags, err := env.AWS.Lambda.ListTags(ctx, &lambdasvc.ListTagsInput{Resource: aws.String(fn)})
			require.NoError(t, err)
			assert.Equal(t, tc.tag, tags.Tags["LambdaScanFindings"])

			n, err := notify.New(env.Config, env.AWS.Env).Handle(ctx, in)
			require.NoError(t, err)
			require.True(t, n.Published, "notified though nothing is rated high: %s", n.Reason)
			msgs := findingsMessages(t, tc.name)
			require.Len(t, msgs, 1)
			assert.Equal(t, tc.kev, msgs[0].attrs["kev"])
			if tc.summary.KEV > 0 {
				assert.Equal(t, []any{"GHSA-test example@1.0.0"}, msgs[0].body["kevFindings"])
			}
		})
	}

	// Configured to ignore unknown, the unrated function alone is quiet.
	cfg := env.Config
	cfg.NotifyIgnoreUnknown = true
	n, err := notify.New(cfg, env.AWS.Env).Handle(ctx, contract.RecordInput{Outcome: "scanned", Summary: &cases[0].summary,
		Target: contract.Target{FunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:quiet", Name: "quiet", Region: localstack.Region, Account: "123456789012"}})
	require.NoError(t, err)
	assert.False(t, n.Published)
}
