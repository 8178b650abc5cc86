package scanflow

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/internal/step/store"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/eventbus"
)

type busEvent struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Account    string          `json:"account"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Events on the default bus reach a rule with an SQS target, as a team's
// own rule would: new findings on the first scan, resolved ones (reason
// "fixed") when a redeploy drops the package, resolved ones (reason
// "deleted") when the function is gone, and one "Scan Completed" per scan.
func TestEventBridgeFindingEvents(t *testing.T) {
	ctx := context.Background()
	eb := eventbridge.NewFromConfig(env.AWS.Config, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(env.Stack.Endpoint) })
	sq := sqs.NewFromConfig(env.AWS.Config, func(o *sqs.Options) { o.BaseEndpoint = aws.String(env.Stack.Endpoint) })
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("team-lambdascan-events")})
	require.NoError(t, err)
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	require.NoError(t, err)
	_, err = eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("team-lambdascan"), EventPattern: aws.String(`{"source":["lambdascan"]}`)})
	require.NoError(t, err)
	_, err = eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("team-lambdascan"),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}}})
	require.NoError(t, err)
	defer func() {
		eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String("team-lambdascan"), Ids: []string{"queue"}})
		eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("team-lambdascan")})
	}()
	receive := func(fn string) map[string][]busEvent {
		t.Helper()
		out := map[string][]busEvent{}
		for empty := 0; empty < 2; {
			res, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			require.NoError(t, err)
			if len(res.Messages) == 0 {
				empty++
				continue
			}
			for _, m := range res.Messages {
				var e busEvent
				require.NoError(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &e))
				assert.Equal(t, eventbus.Source, e.Source)
				if len(e.Resources) == 1 && e.Resources[0] == fn {
					out[e.DetailType] = append(out[e.DetailType], e)
				}
				sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle})
			}
		}
		return out
	}
	details := func(evs []busEvent) map[string]eventbus.Finding {
		out := map[string]eventbus.Finding{}
		for _, e := range evs {
			var f eventbus.Finding
			require.NoError(t, json.Unmarshal(e.Detail, &f))
			out[f.Advisory] = f
		}
		return out
	}

	fn, err := env.CreateFunction(ctx, "eb-orders", pkg("node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)
	run(t, "CreateFunction20150331", fn)
	got := receive(fn)
	require.Len(t, got[eventbus.ScanCompleted], 1)
	var scan eventbus.Scan
	require.NoError(t, json.Unmarshal(got[eventbus.ScanCompleted][0].Detail, &scan))
	assert.Equal(t, "complete", scan.Status)
	assert.Equal(t, localstack.Account, scan.Account)
	assert.Equal(t, scan.Findings, scan.NewFindings, "every finding of a first scan is new")
	assert.Len(t, got[eventbus.FindingNew], scan.Findings)
	lodash := details(got[eventbus.FindingNew])["GHSA-p6mc-m468-83gw"]
	assert.Equal(t, "4.17.19", lodash.Fixed)
	assert.Equal(t, "lodash", lodash.Package.Name)
	assert.Equal(t, []string{"CVE-2020-8203"}, lodash.Aliases)
	assert.Equal(t, "eb-orders", lodash.FunctionName)
	assert.Empty(t, got[eventbus.FindingResolve])

	// The redeploy drops every npm package: each of those findings resolves, once.
	require.NoError(t, env.UpdateCode(ctx, "eb-orders", pkg("python-requirements.zip")))
	run(t, "UpdateFunctionCode20150331v2", fn)
	got = receive(fn)
	resolved := details(got[eventbus.FindingResolve])
	assert.Len(t, got[eventbus.FindingResolve], scan.Findings)
	assert.Equal(t, eventbus.ReasonFixed, resolved["GHSA-p6mc-m468-83gw"].Reason)
	assert.Equal(t, lodash.Since, resolved["GHSA-p6mc-m468-83gw"].Since)
	assert.NotEmpty(t, got[eventbus.FindingNew], "the Python findings")
	require.Len(t, got[eventbus.ScanCompleted], 1)
	newPython := len(got[eventbus.FindingNew])

	// The function is deleted: its open findings resolve with reason "deleted".
	h := store.New(env.Config, env.AWS.Env)
	h.Now = time.Now
	d, err := h.Gone(ctx, contract.Target{FunctionARN: fn, Account: localstack.Account, Region: localstack.Region, Name: "eb-orders"})
	require.NoError(t, err)
	assert.Len(t, d.Resolved, newPython)
	got = receive(fn)
	require.Len(t, got[eventbus.FindingResolve], newPython)
	for _, f := range details(got[eventbus.FindingResolve]) {
		assert.Equal(t, eventbus.ReasonDeleted, f.Reason)
	}
	assert.Empty(t, got[eventbus.FindingNew])
}
