package scanflow

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// The scanner never scans itself: by configured name or by the stack's tag.
func TestSelfSkip(t *testing.T) {
	ctx := context.Background()
	own, err := env.CreateFunction(ctx, localstack.FunctionName(contract.StepScan), pkg("node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)
	tagged, err := env.CreateFunction(ctx, "lambdascan-extra", pkg("node-api.zip"), "nodejs20.x", nil, map[string]string{config.SelfTagKey: "scanner"})
	require.NoError(t, err)
	for _, fn := range []string{own, tagged} {
		before := scans()
		o, _ := run(t, "UpdateFunctionCode20150331v2", fn)
		assert.Equal(t, "self", o.Outcome, fn)
		assert.Equal(t, before, scans())
	}
}

// A member account's function with the scanner's tag, or a scanner
// function's name, is scanned: only the scanner's account holds the scanner.
func TestSelfSkipIsTheScannersAccountOnly(t *testing.T) {
	ctx := context.Background()
	m := memberEnv(t, "210987654323")
	for _, name := range []string{localstack.FunctionName(contract.StepScan), "opt-out-attempt"} {
		fn, err := m.CreateFunction(ctx, name, pkg("python-requirements.zip"), "python3.12", nil, map[string]string{config.SelfTagKey: "scanner"})
		require.NoError(t, err)
		before := scans()
		o, _ := run(t, "CreateFunction20150331", fn)
		assert.Equal(t, "scanned", o.Outcome, fn)
		assert.Equal(t, before+1, scans(), fn)
	}
}

// A failed API call never matches the rule; a malformed direct input ends
// cleanly as "invalid" (SUCCEEDED, not FAILED: no failure alarm).
func TestInvalidEvents(t *testing.T) {
	ctx := context.Background()
	exec, err := env.Emit(ctx, "CreateFunction20150331", "ghost", "ResourceConflictException")
	require.NoError(t, err)
	_, err = env.Wait(ctx, exec, 3*time.Second)
	assert.Error(t, err, "the rule filters failed calls: no execution starts")

	for name, input := range map[string]string{
		"inv-not-lambda": `{"detail-type":"AWS API Call via CloudTrail","source":"aws.s3","detail":{"eventSource":"s3.amazonaws.com","eventName":"PutObject"}}`,
		"inv-odd-arn":    `{"functionArn":"arn:aws:lambda:eu-west-1:123456789012:layer:x:1"}`,
		"inv-empty":      `{}`,
		// Not an object at all: still a named, recorded outcome.
		"inv-null":   `null`,
		"inv-array":  `[]`,
		"inv-string": `"arn:aws:lambda:eu-west-1:123456789012:function:f"`,
		// The partition must hold the region.
		"inv-cn-partition": `{"functionArn":"arn:aws-cn:lambda:eu-west-1:123456789012:function:f"}`,
	} {
		arn, err := env.Start(ctx, name, input)
		require.NoError(t, err)
		out, err := env.Wait(ctx, arn, 3*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, sfntypes.ExecutionStatusSucceeded, out.Status, name)
		var o struct {
			Outcome string `json:"outcome"`
			Error   struct {
				Error string `json:"Error"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.Output)), &o))
		assert.Equal(t, "invalid", o.Outcome, name)
		assert.Equal(t, "InvalidEvent", o.Error.Error, name)
	}
	// The failed-call event never reached Step Functions at all.
	list, err := env.AWS.SFN.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(env.StateMachineARN)})
	require.NoError(t, err)
	for _, e := range list.Executions {
		assert.NotEqual(t, exec, aws.ToString(e.ExecutionArn))
	}
}
