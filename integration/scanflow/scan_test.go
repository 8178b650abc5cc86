package scanflow

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/shared/report"
)

func pkg(name string) string { return filepath.Join(testdata, "packages", name) }

func getJSON(t *testing.T, key string, v any) {
	t.Helper()
	out, err := env.AWS.S3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(localstack.Bucket), Key: aws.String(key)})
	require.NoError(t, err, key)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v), key)
}

type output struct {
	Outcome string `json:"outcome"`
	Stored  struct {
		ReportKey string `json:"reportKey"`
		LatestKey string `json:"latestKey"`
		CycloneDX string `json:"cyclonedxKey"`
		SPDX      string `json:"spdxKey"`
		New       int    `json:"newFindings"`
		// ResolvedFindings: what the findings store closed.
		ResolvedFindings int `json:"resolvedFindings"`
	} `json:"stored"`
	Summary struct {
		CycloneDX string `json:"cyclonedxKey"`
		SPDX      string `json:"spdxKey"`
	} `json:"summary"`
}

func run(t *testing.T, eventName, fnARN string) (*output, string) {
	t.Helper()
	ctx := context.Background()
	exec, err := env.Emit(ctx, eventName, fnARN, "")
	require.NoError(t, err)
	out, err := env.Wait(ctx, exec, 3*time.Minute)
	require.NoError(t, err, env.Stack.Logs())
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, out.Status, "%s: %s %s", exec, aws.ToString(out.Error), aws.ToString(out.Cause))
	var o output
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.Output)), &o))
	return &o, exec
}

func TestEventToReport(t *testing.T) {
	ctx := context.Background()
	fn, err := env.CreateFunction(ctx, "orders-api", pkg("node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)

	o, _ := run(t, "CreateFunction20150331", fn)
	require.Equal(t, "scanned", o.Outcome)

	var r report.Report
	getJSON(t, o.Stored.ReportKey, &r)
	assert.Equal(t, fn, r.Target.FunctionARN)
	assert.Equal(t, report.StatusComplete, r.Status)
	ids := map[string]bool{}
	for _, f := range r.Findings {
		ids[f.ID] = true
	}
	assert.True(t, ids["GHSA-p6mc-m468-83gw"] && ids["GHSA-xvch-5gv4-984h"], "lodash and minimist findings: %v", ids)
	var latest report.Report
	getJSON(t, o.Stored.LatestKey, &latest)
	assert.Equal(t, r.Findings, latest.Findings)

	var bom map[string]any
	getJSON(t, o.Summary.CycloneDX, &bom)
	assert.Equal(t, "1.6", bom["specVersion"])
	var spdx map[string]any
	getJSON(t, o.Summary.SPDX, &spdx)
	assert.Equal(t, "SPDX-2.3", spdx["spdxVersion"])

	tags, err := env.AWS.Lambda.ListTags(ctx, &lambdasvc.ListTagsInput{Resource: aws.String(fn)})
	require.NoError(t, err)
	assert.Equal(t, "complete", tags.Tags["LambdaScanStatus"])
	assert.Equal(t, "C1-H2-M1-L0-U0-K0", tags.Tags["LambdaScanFindings"])

	item, ok, err := env.Cache.GetFunction(ctx, fn)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, o.Stored.ReportKey, item.ReportKey)
	assert.True(t, item.ExpiresAt.After(time.Now().Add(29*24*time.Hour)))
}

// A function's deletion is accepted and recorded: no scan, a deletion
// record under the function's reports, the cache item marked deleted.
func TestDeleteFunctionRecorded(t *testing.T) {
	ctx := context.Background()
	fn, err := env.CreateFunction(ctx, "to-delete", pkg("python-requirements.zip"), "python3.12", nil, nil)
	require.NoError(t, err)
	run(t, "CreateFunction20150331", fn)
	_, err = env.AWS.Lambda.DeleteFunction(ctx, &lambdasvc.DeleteFunctionInput{FunctionName: aws.String("to-delete")})
	require.NoError(t, err)
	before := scans()
	exec, err := env.Emit(ctx, "DeleteFunction20150331", "to-delete", "")
	require.NoError(t, err)
	out, err := env.Wait(ctx, exec, 3*time.Minute)
	require.NoError(t, err)
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, out.Status, "%s %s", aws.ToString(out.Error), aws.ToString(out.Cause))
	var o struct {
		Outcome string `json:"outcome"`
		Stored  struct {
			ReportKey string `json:"reportKey"`
			Status    string `json:"status"`
		} `json:"stored"`
	}
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.Output)), &o))
	assert.Equal(t, "deleted", o.Outcome)
	assert.Equal(t, before, scans(), "nothing scanned")
	var rec map[string]any
	getJSON(t, o.Stored.ReportKey, &rec)
	assert.Equal(t, "lambdascan.deletion/v1", rec["schema"])
	assert.Equal(t, fn, rec["functionArn"])
	assert.Equal(t, "DeleteFunction20150331", rec["trigger"])
	item, ok, err := env.Cache.GetFunction(ctx, fn)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "deleted", item.Status)
}
