package scanflow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	shsvc "github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/internal/step/store"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/findings"
	"github.com/lambdascan/lambdascan/shared/securityhub"
)

// The Security Hub lifecycle through the workflow: a scan imports its
// findings ACTIVE/NEW; a redeploy without the package archives that
// finding under the same Id (ARCHIVED/RESOLVED); deleting the function
// archives the rest. A finding Security Hub refuses is named.
func TestSecurityHubLifecycle(t *testing.T) {
	ctx := context.Background()
	hub := shsvc.NewFromConfig(env.AWS.Config, func(o *shsvc.Options) { o.BaseEndpoint = aws.String(env.Stack.Endpoint) })
	byID := func(fn string) map[string]shtypes.AwsSecurityFinding {
		t.Helper()
		out := map[string]shtypes.AwsSecurityFinding{}
		var token *string
		for {
			res, err := hub.GetFindings(ctx, &shsvc.GetFindingsInput{NextToken: token, MaxResults: aws.Int32(100)})
			require.NoError(t, err)
			for _, f := range res.Findings {
				if len(f.Resources) == 1 && aws.ToString(f.Resources[0].Id) == fn {
					out[aws.ToString(f.Id)] = f
				}
			}
			if token = res.NextToken; token == nil {
				return out
			}
		}
	}
	fn, err := env.CreateFunction(ctx, "hub-orders", pkg("node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)
	run(t, "CreateFunction20150331", fn)
	rows, err := findingsTable().Findings(ctx, findings.Filter{FunctionARN: fn})
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	got := byID(fn)
	require.Len(t, got, len(rows))
	var lodashID string
	for _, r := range rows {
		f, ok := got[securityhub.ID(r)]
		require.True(t, ok, "stable Id %s", securityhub.ID(r))
		assert.Equal(t, shtypes.RecordStateActive, f.RecordState)
		assert.Equal(t, shtypes.WorkflowStatusNew, f.Workflow.Status)
		assert.Equal(t, securityhub.ProductARN("aws", localstack.Region, localstack.Account), aws.ToString(f.ProductArn))
		assert.Equal(t, "2018-10-08", aws.ToString(f.SchemaVersion))
		assert.Equal(t, "AwsLambdaFunction", aws.ToString(f.Resources[0].Type))
		assert.Equal(t, "hub-orders", aws.ToString(f.Resources[0].Details.AwsLambdaFunction.FunctionName))
		require.Len(t, f.Vulnerabilities, 1)
		assert.Equal(t, r.Finding.Advisory, aws.ToString(f.Vulnerabilities[0].Id))
		assert.Equal(t, f.Severity.Label, f.FindingProviderFields.Severity.Label)
		if r.Finding.Advisory == "GHSA-p6mc-m468-83gw" {
			lodashID = securityhub.ID(r)
			v := f.Vulnerabilities[0]
			assert.Equal(t, []string{"CVE-2020-8203"}, v.RelatedVulnerabilities)
			assert.Equal(t, "4.17.19", aws.ToString(v.VulnerablePackages[0].FixedInVersion))
			assert.Equal(t, shtypes.VulnerabilityFixAvailableYes, v.FixAvailable)
			assert.Equal(t, shtypes.VulnerabilityExploitAvailableNo, v.ExploitAvailable)
			assert.Equal(t, shtypes.SeverityLabelHigh, f.FindingProviderFields.Severity.Label)
		}
	}
	require.NotEmpty(t, lodashID)

	require.NoError(t, env.UpdateCode(ctx, "hub-orders", pkg("python-requirements.zip")))
	run(t, "UpdateFunctionCode20150331v2", fn)
	got = byID(fn)
	assert.Equal(t, shtypes.RecordStateArchived, got[lodashID].RecordState, "same Id, archived")
	assert.Equal(t, shtypes.WorkflowStatusResolved, got[lodashID].Workflow.Status)
	var active int
	for _, f := range got {
		if f.RecordState == shtypes.RecordStateActive {
			active++
		}
	}
	assert.Positive(t, active, "the Python findings")

	h := store.New(env.Config, env.AWS.Env)
	h.Now = time.Now
	_, err = h.Gone(ctx, contract.Target{FunctionARN: fn, Account: localstack.Account, Region: localstack.Region, Name: "hub-orders"})
	require.NoError(t, err)
	for id, f := range byID(fn) {
		assert.Equal(t, shtypes.RecordStateArchived, f.RecordState, id)
		assert.Equal(t, shtypes.WorkflowStatusResolved, f.Workflow.Status, id)
	}

	// A finding Security Hub refuses (no resource) is named, after retries.
	bad := h.SecurityHub.Finding(rows[0], true, time.Now())
	bad.Id, bad.Resources = aws.String("lambdascan/refused"), []shtypes.Resource{}
	h.SecurityHub.Backoff = time.Millisecond
	err = h.SecurityHub.Import(ctx, []shtypes.AwsSecurityFinding{h.SecurityHub.Finding(rows[0], false, time.Now()), bad})
	var failed *securityhub.FailedError
	require.ErrorAs(t, err, &failed)
	require.Len(t, failed.Failed, 1)
	assert.Contains(t, failed.Failed[0], "lambdascan/refused")
}

// sizes records each BatchImportFindings call's size on its way to moto.
type sizes struct {
	securityhub.API
	calls []int
}

func (s *sizes) BatchImportFindings(ctx context.Context, in *shsvc.BatchImportFindingsInput, o ...func(*shsvc.Options)) (*shsvc.BatchImportFindingsOutput, error) {
	s.calls = append(s.calls, len(in.Findings))
	return s.API.BatchImportFindings(ctx, in, o...)
}

// 250 findings go in calls of at most 100.
func TestSecurityHubBatches(t *testing.T) {
	ctx := context.Background()
	im := securityhub.Open(env.AWS.Env, "aws", localstack.Region, localstack.Account)
	rec := &sizes{API: im.API}
	im.API = rec
	fn := findings.Function{ARN: "arn:aws:lambda:eu-west-1:123456789012:function:hub-many", Version: "$LATEST", Account: localstack.Account, Region: localstack.Region, Name: "hub-many"}
	var batch []shtypes.AwsSecurityFinding
	ids := map[string]bool{}
	for i := 0; i < 250; i++ {
		p := findings.Package{Ecosystem: "npm", Name: fmt.Sprintf("dep-%d", i), Version: "1.0.0"}
		f := im.Finding(findings.Row{Function: fn, Package: p, Finding: &findings.Finding{Advisory: "GHSA-xxxx-yyyy-zzzz", Package: p, Severity: "low"}}, true, time.Now())
		ids[aws.ToString(f.Id)] = true
		batch = append(batch, f)
	}
	require.Len(t, ids, 250, "one Id per package")
	require.NoError(t, im.Import(ctx, batch))
	assert.Equal(t, []int{100, 100, 50}, rec.calls)
}
