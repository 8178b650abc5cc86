package scanflow

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/internal/fleetcli"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/findings"
)

func findingsTable() *findings.Table {
	return &findings.Table{DDB: env.AWS.DynamoDB, Name: localstack.FindingsTable, Compare: fleetcli.CompareVersions}
}

// affected answers q, keeping only the rows of the given functions (other
// tests share the store).
func affected(t *testing.T, q string, functionARNs ...string) []findings.Row {
	t.Helper()
	query, err := findings.ParseQuery(q)
	require.NoError(t, err)
	rows, err := findingsTable().Affected(context.Background(), query)
	require.NoError(t, err)
	var out []findings.Row
	for _, r := range rows {
		if slices.Contains(functionARNs, r.Function.ARN) {
			out = append(out, r)
		}
	}
	return out
}

// functionsOf are the function names of the rows that carry a finding
// (advisory "" : package rows).
func functionsOf(rows []findings.Row, advisory string) map[string]string {
	out := map[string]string{}
	for _, r := range rows {
		switch {
		case advisory == "" && r.Finding == nil:
			out[r.Function.Name] = r.Package.Version
		case advisory != "" && r.Finding != nil && r.Finding.Advisory == advisory:
			out[r.Function.Name] = r.Finding.Fixed
		}
	}
	return out
}

// Two functions ship lodash 4.17.15: both are found by the advisory, by its
// CVE alias and by the package (with a range); redeploying one without it
// resolves its findings; deleting the other resolves the rest.
func TestAffectedAcrossFunctions(t *testing.T) {
	ctx := context.Background()
	a, err := env.CreateFunction(ctx, "fleet-a", pkg("node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)
	b, err := env.CreateFunction(ctx, "fleet-b", pkg("node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)
	run(t, "CreateFunction20150331", a)
	run(t, "CreateFunction20150331", b)

	const ghsa = "GHSA-p6mc-m468-83gw"
	byID := affected(t, ghsa, a, b)
	assert.Equal(t, map[string]string{"fleet-a": "4.17.19", "fleet-b": "4.17.19"}, functionsOf(byID, ghsa))
	for _, r := range byID {
		assert.Equal(t, localstack.Account, r.Function.Account)
		assert.Equal(t, localstack.Region, r.Function.Region)
		assert.Equal(t, "$LATEST", r.Function.Version)
		assert.Equal(t, "lodash", r.Package.Name)
		assert.Equal(t, "4.17.15", r.Package.Version)
		assert.False(t, r.Since.IsZero())
	}
	assert.Equal(t, functionsOf(byID, ghsa), functionsOf(affected(t, "CVE-2020-8203", a, b), ghsa), "an alias finds the same findings")

	byPkg := affected(t, "lodash@<4.17.21", a, b)
	assert.Equal(t, map[string]string{"fleet-a": "4.17.15", "fleet-b": "4.17.15"}, functionsOf(byPkg, ""))
	assert.Equal(t, map[string]string{"fleet-a": "4.17.19", "fleet-b": "4.17.19"}, functionsOf(byPkg, ghsa), "the package query carries the fix")
	assert.Empty(t, functionsOf(affected(t, "lodash@>=4.17.21", a, b), ""))
	assert.Contains(t, functionsOf(affected(t, "pkg:npm/lodash", a, b), ""), "fleet-a")

	// A rescan of unchanged code writes nothing new and keeps "since".
	since := byID[0].Since
	require.NoError(t, env.UpdateCode(ctx, "fleet-b", pkg("python-requirements.zip")))
	o, _ := run(t, "UpdateFunctionCode20150331v2", b)
	assert.Positive(t, o.Stored.ResolvedFindings, "lodash left fleet-b")
	assert.Equal(t, map[string]string{"fleet-a": "4.17.19"}, functionsOf(affected(t, ghsa, a, b), ghsa))
	assert.Equal(t, since, affected(t, ghsa, a, b)[0].Since)

	// fleet-b's Python findings are listed per function.
	rows, err := findingsTable().Findings(ctx, findings.Filter{FunctionARN: b})
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	for _, r := range rows {
		assert.Equal(t, "PyPI", r.Package.Ecosystem)
	}
	high, err := findingsTable().Findings(ctx, findings.Filter{Function: "fleet-a", Severities: []string{"high"}})
	require.NoError(t, err)
	require.NotEmpty(t, high)
	for _, r := range high {
		assert.Equal(t, "high", r.Finding.Severity)
		assert.Equal(t, a, r.Function.ARN)
	}

	// A deleted function has no open findings.
	d, err := findingsTable().Resolve(ctx, a, "")
	require.NoError(t, err)
	assert.NotEmpty(t, d.Resolved)
	assert.Empty(t, affected(t, ghsa, a, b))
	assert.Empty(t, functionsOf(affected(t, "lodash", a, b), ""))
}

// The store writes a diff: the same snapshot twice writes nothing the
// second time; a partial snapshot adds but never resolves.
func TestAffectedStoreWritesADiff(t *testing.T) {
	ctx := context.Background()
	tbl := findingsTable()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tbl.Now = func() time.Time { return now }
	fn := findings.Function{ARN: "arn:aws:lambda:eu-west-1:123456789012:function:diff", Version: "7", Account: localstack.Account, Region: localstack.Region, Name: "diff"}
	lodash := findings.Package{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"}
	mini := findings.Package{Ecosystem: "npm", Name: "minimist", Version: "1.2.0", Layer: "arn:aws:lambda:eu-west-1:123456789012:layer:deps:2"}
	snap := findings.Snapshot{Function: fn, CodeSha256: "abc", Complete: true, Packages: []findings.Package{lodash, mini},
		Findings: []findings.Finding{
			{Advisory: "GHSA-p6mc-m468-83gw", Aliases: []string{"CVE-2020-8203"}, Package: lodash, Fixed: "4.17.19", Severity: "high", Score: 7.4, KEV: true},
			{Advisory: "GHSA-vh95-rmgr-6w4m", Aliases: []string{"CVE-2020-7598"}, Package: mini, Fixed: "1.2.3", Severity: "medium"}}}
	d, err := tbl.Put(ctx, snap)
	require.NoError(t, err)
	// meta + 2 packages + 2 findings × (id + alias) + the layer
	assert.Equal(t, 8, d.Written)
	assert.Len(t, d.New, 2)

	now = now.Add(time.Hour)
	d, err = tbl.Put(ctx, snap)
	require.NoError(t, err)
	assert.Equal(t, findings.Diff{Unchanged: 8}, d)

	// The layer's package is found by name, and names its layer.
	rows := affected(t, "minimist@1.2.0", fn.ARN)
	require.NotEmpty(t, rows)
	assert.Equal(t, mini.Layer, rows[0].Package.Layer)
	kev, err := tbl.Findings(ctx, findings.Filter{KEV: true, Function: "diff"})
	require.NoError(t, err)
	require.Len(t, kev, 1)
	assert.Equal(t, "GHSA-p6mc-m468-83gw", kev[0].Finding.Advisory)
	assert.Equal(t, 7.4, kev[0].Finding.Score)

	// The layer version: who uses it, and its findings.
	rows = affected(t, mini.Layer, fn.ARN)
	require.Len(t, rows, 2, "the layer item and the finding in it")
	var inLayer []string
	for _, r := range rows {
		assert.Equal(t, mini.Layer, r.Package.Layer)
		if r.Finding != nil {
			inLayer = append(inLayer, r.Finding.Advisory)
		}
	}
	assert.Equal(t, []string{"GHSA-vh95-rmgr-6w4m"}, inLayer)

	// A partial scan that did not see minimist keeps its finding open.
	partial := snap
	partial.Complete, partial.Packages, partial.Findings = false, []findings.Package{lodash}, snap.Findings[:1]
	d, err = tbl.Put(ctx, partial)
	require.NoError(t, err)
	assert.Equal(t, 0, d.Deleted)
	assert.Equal(t, 4, d.Kept, "minimist, its finding under id and alias, its layer")
	assert.NotEmpty(t, affected(t, "CVE-2020-7598", fn.ARN))

	// A complete one resolves it, once.
	partial.Complete = true
	d, err = tbl.Put(ctx, partial)
	require.NoError(t, err)
	require.Len(t, d.Resolved, 1)
	assert.Equal(t, "GHSA-vh95-rmgr-6w4m", d.Resolved[0].Finding.Advisory)
	assert.Equal(t, 4, d.Deleted)
	assert.Empty(t, affected(t, "CVE-2020-7598", fn.ARN))
	assert.Empty(t, affected(t, mini.Layer, fn.ARN), "no longer uses the layer")
	// The lodash finding is as old as its first sighting.
	rows = affected(t, "CVE-2020-8203", fn.ARN)
	require.NotEmpty(t, rows)
	assert.Equal(t, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), rows[0].Since.UTC())

	out, err := env.AWS.DynamoDB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(localstack.FindingsTable),
		KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]ddbAttr{":p": ddbS("fn#" + fn.ARN)}})
	require.NoError(t, err)
	assert.Len(t, out.Items, 4, "meta, lodash, its finding under id and alias")
	_, err = tbl.Resolve(ctx, fn.ARN, "7")
	require.NoError(t, err)
}

type ddbAttr = ddbtypes.AttributeValue

func ddbS(v string) ddbAttr { return &ddbtypes.AttributeValueMemberS{Value: v} }

// `lambdascan affected` and `lambdascan findings` as an operator runs them
// with environment credentials: the real binaries (lambdascan hands them to
// lambdascan-remote) against the local stack's findings store.
func TestAffectedCLI(t *testing.T) {
	ctx := context.Background()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "../../cmd/lambdascan", "../../cmd/lambdascan-remote")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	cli := func(t *testing.T, args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, "lambdascan"), args...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION="+localstack.Region,
			config.EndpointEnv+"="+env.Stack.Endpoint, "LAMBDASCAN_FINDINGS_TABLE="+localstack.FindingsTable)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, stderr.String())
		return string(out)
	}

	layer, err := env.PublishLayer(ctx, "fleet-yaml", pkg("layer-python-yaml.zip"))
	require.NoError(t, err)
	fn, err := env.CreateFunction(ctx, "fleet-cli", pkg("python-requirements.zip"), "python3.11", []string{layer}, nil)
	require.NoError(t, err)
	run(t, "CreateFunction20150331", fn)

	var lines []fleetcli.Line
	require.NoError(t, json.Unmarshal([]byte(cli(t, "findings", "--function", "fleet-cli", "--format", "json")), &lines))
	require.NotEmpty(t, lines)
	var fromLayer *fleetcli.Line
	for i, l := range lines {
		assert.Equal(t, fn, l.FunctionARN)
		assert.NotEmpty(t, l.Advisory)
		if l.Layer != "" {
			fromLayer = &lines[i]
		}
	}
	require.NotNil(t, fromLayer, "PyYAML 5.3 comes from the layer")
	assert.Equal(t, layer, fromLayer.Layer)
	assert.Equal(t, "PyYAML", fromLayer.Package)

	// The layer's advisory, by id: the table names the function, the
	// layer, what is installed and what fixes it.
	table := cli(t, "affected", fromLayer.Advisory)
	assert.Contains(t, table, "ACCOUNT")
	assert.Regexp(t, `123456789012 +eu-west-1 +fleet-cli +\$LATEST +PyYAML \(layer fleet-yaml:1\) +5\.3 +`+regexp.QuoteMeta(dashIfEmpty(fromLayer.Fixed))+` +`+regexp.QuoteMeta(fromLayer.Advisory), table)

	// By layer version: the functions sharing it, with its findings.
	require.NoError(t, json.Unmarshal([]byte(cli(t, "affected", "--format", "json", layer)), &lines))
	var sharing []string
	for _, l := range lines {
		assert.Equal(t, layer, l.Layer)
		if l.FunctionARN == fn {
			sharing = append(sharing, l.Advisory)
		}
	}
	assert.Contains(t, sharing, fromLayer.Advisory)

	// By package with a range, as JSON.
	require.NoError(t, json.Unmarshal([]byte(cli(t, "affected", "--format", "json", "pyyaml@<5.4")), &lines))
	var names []string
	for _, l := range lines {
		names = append(names, l.Function)
		if l.FunctionARN == fn {
			assert.Equal(t, "5.3", l.Installed)
		}
	}
	assert.Contains(t, names, "fleet-cli")
	require.NoError(t, json.Unmarshal([]byte(cli(t, "affected", "--format", "json", "pyyaml@>=5.4")), &lines))
	for _, l := range lines {
		assert.NotEqual(t, fn, l.FunctionARN, "5.3 is not >= 5.4")
	}

	// Severity and KEV filters reach the store.
	require.NoError(t, json.Unmarshal([]byte(cli(t, "findings", "--function", fn, "--severity", fromLayer.Severity, "--format", "json")), &lines))
	for _, l := range lines {
		assert.Equal(t, fromLayer.Severity, l.Severity)
	}
	assert.NotEmpty(t, lines)
	require.NoError(t, json.Unmarshal([]byte(cli(t, "findings", "--kev", "--function", "fleet-cli", "--format", "json")), &lines))
	for _, l := range lines {
		assert.True(t, l.KEV)
	}
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// A function deleted after its scan: the next event for it ends in the
// workflow's Gone path, which resolves its open findings.
func TestAffectedDeletedFunctionResolves(t *testing.T) {
	ctx := context.Background()
	fn, err := env.CreateFunction(ctx, "fleet-deleted", pkg("node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)
	run(t, "CreateFunction20150331", fn)
	require.NotEmpty(t, affected(t, "GHSA-p6mc-m468-83gw", fn))

	_, err = env.AWS.Lambda.DeleteFunction(ctx, &lambdasvc.DeleteFunctionInput{FunctionName: aws.String(fn)})
	require.NoError(t, err)
	o, _ := run(t, "UpdateFunctionCode20150331v2", fn)
	assert.Equal(t, "gone", o.Outcome)
	assert.Positive(t, o.Stored.ResolvedFindings)
	assert.Empty(t, affected(t, "GHSA-p6mc-m468-83gw", fn))
	assert.Empty(t, affected(t, "lodash", fn))
}
