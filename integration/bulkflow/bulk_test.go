// Package bulkflow runs bulk scans on the local stack: 200 functions across
// two accounts and two regions, exclusions, the cache across runs, failures
// under the tolerance, replay, and the control-plane rate.
package bulkflow

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/shared/bulk"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/replay"
)

const (
	testdata = "../../testdata"
	member   = "210987654321"
	east     = "us-east-1"
	perPlace = 50 // functions per account and region
	pace     = 12 // control-plane calls per second per account/region
)

var env *localstack.Env

func TestMain(m *testing.M) {
	ctx := context.Background()
	stack, err := localstack.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	export, ecos, err := localstack.ExportDir(filepath.Join(testdata, "osv"))
	if err == nil {
		env, err = localstack.Deploy(ctx, stack, localstack.Options{OSVDir: export, Ecosystems: ecos,
			Regions: []string{localstack.Region, east}, ControlPlaneRPS: pace})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploy:", err)
		stack.Stop()
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	stack.Stop()
	os.RemoveAll(export)
	os.Exit(code)
}

// place is one account and region, with an Env acting in it.
type place struct {
	account, region string
	env             *localstack.Env
}

func places(t *testing.T) []place {
	ctx := context.Background()
	m, err := env.InAccount(ctx, member)
	require.NoError(t, err)
	ic := iam.NewFromConfig(m.AWS.Config, func(o *iam.Options) { o.BaseEndpoint = aws.String(env.Stack.Endpoint) })
	_, _ = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(localstack.FunctionRole),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if _, err := m.AWS.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(localstack.CodeBucket)}); err != nil {
		_, err = m.AWS.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(localstack.CodeBucket),
			CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(localstack.Region)}})
		require.NoError(t, err)
	}
	in := func(e *localstack.Env, region string) *localstack.Env {
		cfg := e.AWS.Config.Copy()
		cfg.Region = region
		return &localstack.Env{Stack: e.Stack, AWS: localstack.NewClients(cfg, e.Stack.Endpoint), Account: e.Account}
	}
	return []place{
		{localstack.Account, localstack.Region, env}, {localstack.Account, east, in(env, east)},
		{member, localstack.Region, in(m, localstack.Region)}, {member, east, in(m, east)},
	}
}

func scans() int { return env.Stack.Invocations(localstack.FunctionName(contract.StepScan)) }

func startBulk(t *testing.T, name string, req bulk.Request) (*sfn.DescribeExecutionOutput, bulk.Summary) {
	t.Helper()
	ctx := context.Background()
	input, _ := json.Marshal(req)
	out, err := env.AWS.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(env.BulkStateMachineARN),
		Name: aws.String(name), Input: aws.String(string(input))})
	require.NoError(t, err)
	d, err := env.Wait(ctx, aws.ToString(out.ExecutionArn), 12*time.Minute)
	require.NoError(t, err)
	var o struct {
		Summary bulk.Summary `json:"summary"`
		Listing bulk.Listing `json:"listing"`
	}
	if d.Status == sfntypes.ExecutionStatusSucceeded {
		require.NoError(t, json.Unmarshal([]byte(aws.ToString(d.Output)), &o))
		for _, r := range o.Listing.Rates {
			t.Logf("enumeration pace %s: %d calls at %.1f rps (limit %d)", r.Key, r.Calls, r.RPS, pace)
			assert.LessOrEqual(t, r.RPS, pace*1.1)
		}
	}
	return d, o.Summary
}

func TestBulkAcrossAccountsAndRegions(t *testing.T) {
	ctx := context.Background()
	ps := places(t)
	var broken []string
	created := 0
	for _, p := range ps {
		for i := 0; i < perPlace; i++ {
			name := fmt.Sprintf("fn-%s-%s-%02d", p.account[:3], p.region, i)
			zip, tags := "python-requirements.zip", map[string]string(nil)
			switch {
			case i%10 == 0:
				zip = "node-api.zip" // critical findings
			case i == 1:
				name = "tmp-" + name // excluded by glob
			case i == 2:
				tags = map[string]string{bulk.ExcludeTag: "true"} // excluded by tag
			}
			path := filepath.Join(testdata, "packages", zip)
			if p.account == localstack.Account && p.region == localstack.Region && (i == 3 || i == 4) {
				path = corrupt(t) // injected scan failures
			}
			arn, err := p.env.CreateFunction(ctx, name, path, "python3.11", nil, tags)
			require.NoError(t, err)
			if strings.HasSuffix(path, "broken.zip") {
				broken = append(broken, arn)
			}
			created++
		}
	}
	_, err := env.CreateFunction(ctx, localstack.FunctionName(contract.StepFetch), filepath.Join(testdata, "packages", "node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err) // the scanner's own function: never in a run
	require.GreaterOrEqual(t, created, 200)

	req := bulk.Request{Accounts: []string{localstack.Account, member}, Regions: []string{localstack.Region, east}, Exclude: []string{"tmp-*"}}
	env.Stack.ResetControlPlane() // measure the run, not the setup
	before := scans()
	start := time.Now()
	d, sum := startBulk(t, "bulk-first", req)
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, d.Status, "%s %s", aws.ToString(d.Error), aws.ToString(d.Cause))
	first := scans() - before
	t.Logf("first run: %d functions, %d scans, %s; by status %v", sum.Total, first, time.Since(start).Round(time.Millisecond), sum.ByStatus)

	want := created - 4*2 // one glob and one tag exclusion per place
	assert.Equal(t, want, sum.Total, "exclusions: glob, tag and the scanner's own function")
	assert.Equal(t, want, first, "every listed function scanned once")
	sort.Strings(broken)
	assert.Equal(t, broken, sum.Failed, "the summary names the failures")
	assert.Equal(t, 2, sum.ByStatus["failed"])
	assert.Len(t, sum.Critical, 4*5, "node-api functions (every tenth) have a critical finding")

	key, peak := env.Stack.PeakControlPlaneRPS()
	t.Logf("peak Lambda control-plane rate during the run: %d calls/s (%s); paced at %d, Lambda allows 15", peak, key, pace)
	assert.LessOrEqual(t, peak, pace+1, "every step draws from one bucket per account/region")
	calls := func() string {
		var b strings.Builder
		for _, op := range []string{"ListFunctions", "GetFunctionConfiguration", "ListTags", "GetFunction", "GetLayerVersion", "TagResource"} {
			fmt.Fprintf(&b, "%s=%d ", op, env.Stack.LambdaCalls(op))
		}
		return b.String()
	}
	t.Logf("Lambda calls in the first run: %s", calls())
	assert.Equal(t, 4, env.Stack.LambdaCalls("ListFunctions"), "one page per account/region (moto does not page)")
	assert.Zero(t, env.Stack.LambdaCalls("GetFunctionConfiguration"), "items carry ListFunctions' code identity")
	assert.Zero(t, env.Stack.LambdaCalls("ListTags"), "enumeration excluded by tag already")
	assert.Equal(t, want, env.Stack.LambdaCalls("TagResource"), "a first run tags every function once")
	env.Stack.ResetControlPlane()

	before = scans()
	start = time.Now()
	d, sum = startBulk(t, "bulk-second", req)
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, d.Status)
	second := scans() - before
	t.Logf("second run: %d scans in %s; by status %v", second, time.Since(start).Round(time.Millisecond), sum.ByStatus)
	assert.Equal(t, 2, second, "only the failed ones are scanned again: the cache covers the rest")
	assert.Equal(t, want-2, sum.ByStatus["cached"])
	t.Logf("Lambda calls in the second run: %s", calls())
	assert.Zero(t, env.Stack.LambdaCalls("GetFunctionConfiguration"))
	assert.Equal(t, 2, env.Stack.LambdaCalls("GetFunction"), "only the rescans fetch")

	// Replay: moto has no RedriveExecution, so failed scans restart with
	// their original input; fixed code makes them succeed.
	for _, b := range broken {
		name := b[strings.LastIndex(b, ":")+1:]
		require.NoError(t, env.UpdateCode(ctx, name, filepath.Join(testdata, "packages", "python-requirements.zip")))
	}
	failed, err := replay.List(ctx, env.AWS.SFN, []string{env.StateMachineARN}, start.Add(-time.Hour))
	require.NoError(t, err)
	require.Len(t, failed, 4, "two failures per run")
	actions := replay.Run(ctx, env.AWS.SFN, failed, false, time.Now())
	for _, a := range actions {
		assert.Equal(t, "restart", a.Action, a.Reason)
		assert.Empty(t, a.Err)
		out, err := env.Wait(ctx, a.NewExecution, 3*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, sfntypes.ExecutionStatusSucceeded, out.Status)
	}

	// Where Step Functions redrives, replay redrives.
	var redriven []string
	env.Stack.HandleRedrive(func(arn string) error { redriven = append(redriven, arn); return nil })
	defer env.Stack.HandleRedrive(nil)
	actions = replay.Run(ctx, env.AWS.SFN, failed, false, time.Now())
	for _, a := range actions {
		assert.Equal(t, "redrive", a.Action)
	}
	assert.Len(t, redriven, 4)
	old := failed[0]
	old.StoppedAt = time.Now().Add(-15 * 24 * time.Hour)
	dry := replay.Run(ctx, env.AWS.SFN, []replay.Failed{old}, true, time.Now())
	assert.Equal(t, "would-restart", dry[0].Action, "past the 14-day window")
}

func corrupt(t *testing.T) string {
	t.Helper()
	p := filepath.Join(os.TempDir(), "lambdascan-bulk-broken.zip")
	good, err := os.ReadFile(filepath.Join(testdata, "packages", "node-api.zip"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p, good[:len(good)-60], 0o644))
	return p
}
