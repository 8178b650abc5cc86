package scanflow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/shared/bulk"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// A bulk item carries ListFunctions' code identity and tags only changes, so
// a child scan spends the 15 rps control plane only on what changed.
func TestBulkItemSpendsControlPlaneOnlyOnChanges(t *testing.T) {
	ctx := context.Background()
	fnARN, err := env.CreateFunction(ctx, "bulk-item", pkg("python-requirements.zip"), "python3.11", nil, nil)
	require.NoError(t, err)
	parent := runningBulk(t)

	itemFrom := func(parent string, force bool, mode string) string {
		cfg, err := env.AWS.Lambda.GetFunctionConfiguration(ctx, &lambdasvc.GetFunctionConfigurationInput{FunctionName: aws.String(fnARN)})
		require.NoError(t, err)
		code := contract.NewCode(aws.ToString(cfg.CodeSha256), string(cfg.Runtime), string(cfg.PackageType), nil)
		b, err := json.Marshal(bulk.Item{FunctionArn: fnARN, SelfChecked: true, Force: force, Code: &code, TagMode: mode})
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		if parent != "" {
			m["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] = parent // what the bulk Map passes
		}
		b, err = json.Marshal(m)
		require.NoError(t, err)
		return string(b)
	}
	item := func(force bool, mode string) string { return itemFrom(parent, force, mode) }
	tags := func() map[string]string {
		out, err := env.AWS.Lambda.ListTags(ctx, &lambdasvc.ListTagsInput{Resource: aws.String(fnARN)})
		require.NoError(t, err)
		return out.Tags
	}
	for i, c := range []struct {
		name     string
		force    bool
		mode     string
		newCode  string
		outcome  string
		tagCalls int
	}{
		{name: "first scan tags", outcome: "scanned", tagCalls: 1},
		{name: "unchanged code is a hit", outcome: "cache-hit", tagCalls: 0},
		{name: "forced rescan, same outcome: no tag call", force: true, outcome: "scanned", tagCalls: 0},
		{name: "a run without tags leaves new findings untagged", mode: contract.TagModeNone, newCode: "java-shaded.zip", outcome: "scanned", tagCalls: 0},
		{name: "new findings are tagged", newCode: "node-api.zip", outcome: "scanned", tagCalls: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.newCode != "" {
				require.NoError(t, env.UpdateCode(ctx, "bulk-item", pkg(c.newCode)))
			}
			mode := c.mode
			if mode == "" {
				mode = contract.TagModeChanged
			}
			input := item(c.force, mode)
			before := tags()
			env.Stack.ResetControlPlane()
			exec, err := env.Start(ctx, fmt.Sprintf("bulk-item-%d-%d", i, time.Now().UnixNano()), input)
			require.NoError(t, err)
			out, err := env.Wait(ctx, exec, 3*time.Minute)
			require.NoError(t, err)
			require.Equal(t, sfntypes.ExecutionStatusSucceeded, out.Status, "%s %s", aws.ToString(out.Error), aws.ToString(out.Cause))
			var o output
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.Output)), &o))
			assert.Equal(t, c.outcome, o.Outcome)
			assert.Zero(t, env.Stack.LambdaCalls("GetFunctionConfiguration"), "the item's code identity is used")
			assert.Zero(t, env.Stack.LambdaCalls("ListTags"), "the item is self-checked")
			assert.Equal(t, c.tagCalls, env.Stack.LambdaCalls("TagResource"))
			after := tags()
			assert.NotEmpty(t, after[contract.TagFindings])
			if c.tagCalls == 0 {
				assert.Equal(t, before, after)
			} else {
				assert.NotEqual(t, before[contract.TagFindings], after[contract.TagFindings])
			}
		})
	}
	// The same claims without a running bulk execution behind them (anyone
	// allowed to start executions could write them) are not trusted: the
	// function's configuration and tags are read again.
	for name, from := range map[string]string{"no parent": "", "a made-up parent": parent + "-made-up"} {
		t.Run("claims from "+name+" are re-read", func(t *testing.T) {
			input := itemFrom(from, false, contract.TagModeChanged)
			env.Stack.ResetControlPlane()
			exec, err := env.Start(ctx, fmt.Sprintf("bulk-item-claims-%d", time.Now().UnixNano()), input)
			require.NoError(t, err)
			out, err := env.Wait(ctx, exec, 3*time.Minute)
			require.NoError(t, err)
			require.Equal(t, sfntypes.ExecutionStatusSucceeded, out.Status)
			assert.Equal(t, 1, env.Stack.LambdaCalls("GetFunctionConfiguration"), "the code identity is read, not taken")
			assert.Equal(t, 1, env.Stack.LambdaCalls("ListTags"), "self-skip checks the tags")
		})
	}
}

// runningBulk starts a bulk run that stays RUNNING for the test: its
// enumeration is held at the proxy, then lists an empty region.
func runningBulk(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	gate := make(chan struct{})
	held := env.Stack.Inject(localstack.Fault{Service: "lambda", Operation: "Invoke", Times: 1, Kind: localstack.Slow, Gate: gate,
		Match: func(r *http.Request, _ []byte) bool {
			return strings.HasSuffix(r.URL.Path, localstack.FunctionName(contract.StepBulkList)+"/invocations")
		}})
	out, err := env.AWS.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(env.BulkStateMachineARN),
		Name: aws.String(fmt.Sprintf("held-%d", time.Now().UnixNano())), Input: aws.String(`{"regions":["sa-east-1"]}`)})
	require.NoError(t, err)
	t.Cleanup(func() {
		close(gate)
		env.Stack.ClearFaults()
		_, err := env.Wait(ctx, aws.ToString(out.ExecutionArn), 3*time.Minute)
		assert.NoError(t, err)
	})
	deadline := time.Now().Add(time.Minute)
	for len(held.Hits()) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	require.Len(t, held.Hits(), 1, "the bulk run is held in Enumerate")
	return aws.ToString(out.ExecutionArn)
}
