package lambdascan_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/cdk/lambdascan"
	"github.com/lambdascan/lambdascan/internal/step/iam"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/findings"
	"github.com/lambdascan/lambdascan/statemachine"
)

// One synthesis serves every test: it takes seconds (jsii starts Node).
var (
	scannerTmpl  map[string]any
	listedTmpl   map[string]any // members listed by account instead of the organization
	memberTmpl   map[string]any
	nagErrors    []string
	canaryErrors int
	templates    = map[string]string{}
)

// assets returns the directory of built bootstraps: $LAMBDASCAN_ASSETS (make
// test builds them once with `make lambdas`), else builds them here.
func assets() (string, error) {
	if d := os.Getenv("LAMBDASCAN_ASSETS"); d != "" {
		return d, nil
	}
	dir, err := os.MkdirTemp("", "lambdascan-assets-")
	if err != nil {
		return "", err
	}
	build := filepath.Join(dir, ".build")
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-o", build+"/", "../../steps/...")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building step bootstraps: %v\n%s", err, out)
	}
	ents, err := os.ReadDir(build)
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		if err := os.MkdirAll(filepath.Join(dir, e.Name()), 0o755); err != nil {
			return "", err
		}
		if err := os.Rename(filepath.Join(build, e.Name()), filepath.Join(dir, e.Name(), "bootstrap")); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func TestMain(m *testing.M) {
	dir, err := assets()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := os.MkdirTemp("", "lambdascan-cdk-out-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer jsii.Close()
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
		p := lambdascan.Defaults()
		p.AssetsDir = dir
		p.CrossAccountRoleName = "lambdascan-member"
		p.ExternalIDSecret = "lambdascan/external-id"
		p.NVDAPIKeySecret = "lambdascan/nvd-api-key"
		p.EnableSecurityHub = true
		p.CreateTrail = true
		p.MemberOrganizationID = "o-a1b2c3d4e5"
		scanner, _ := lambdascan.NewScannerStack(app, "LambdaScan", p, nil)
		p.MemberOrganizationID, p.MemberAccounts = "", []string{"111111111111", "222222222222"}
		listed, _ := lambdascan.NewScannerStack(app, "LambdaScanListed", p, nil)
		member := lambdascan.NewMemberStack(app, "LambdaScanMember", "lambdascan-member", nil)
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{}), nil)
		for name, st := range map[string]awscdk.Stack{"scanner": scanner, "member": member, "listed": listed} {
			tmpl := assertions.Template_FromStack(st, nil)
			raw, _ := json.Marshal(tmpl.ToJSON())
			templates[name] = string(raw)
			for _, e := range *assertions.Annotations_FromStack(st).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
				nagErrors = append(nagErrors, fmt.Sprintf("%s: %v", *e.Id, e.Entry.Data))
			}
		}
		// A canary: a plain queue must be flagged, or the check above sees nothing.
		canary := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(out, "canary"))})
		cs := awscdk.NewStack(canary, jsii.String("Canary"), nil)
		awssqs.NewQueue(cs, jsii.String("Plain"), nil)
		awscdk.Aspects_Of(canary).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{}), nil)
		canaryErrors = len(*assertions.Annotations_FromStack(cs).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))))
		json.Unmarshal([]byte(templates["scanner"]), &scannerTmpl)
		json.Unmarshal([]byte(templates["member"]), &memberTmpl)
		json.Unmarshal([]byte(templates["listed"]), &listedTmpl)
		return m.Run()
	}()
	os.RemoveAll(out)
	if os.Getenv("LAMBDASCAN_ASSETS") == "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func resources(tmpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range tmpl["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			props, _ := res["Properties"].(map[string]any)
			out[id] = props
		}
	}
	return out
}

func TestCdkNagHasNoUnsuppressedErrors(t *testing.T) {
	require.Positive(t, canaryErrors, "cdk-nag flags an unencrypted, DLQ-less queue")
	assert.Empty(t, nagErrors)
}

func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("cfn-lint is required in CI")
		}
		t.Skip("cfn-lint not installed")
	}
	dir := t.TempDir()
	for name, body := range templates {
		p := filepath.Join(dir, name+".json")
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		out, err := exec.Command(bin, "-i", "W3005", "--", p).CombinedOutput()
		assert.NoError(t, err, "cfn-lint %s:\n%s", name, out)
	}
}

func TestLambdas(t *testing.T) {
	fns := resources(scannerTmpl, "AWS::Lambda::Function")
	ours := 0
	for _, props := range fns {
		name, _ := props["FunctionName"].(string)
		if !strings.HasPrefix(name, "lambdascan-") {
			continue // CDK's triggers provider
		}
		ours++
		assert.Equal(t, "provided.al2023", props["Runtime"], name)
		assert.Equal(t, []any{"arm64"}, props["Architectures"], name)
		assert.Equal(t, "bootstrap", props["Handler"], name)
		assert.Equal(t, map[string]any{"Mode": "Active"}, props["TracingConfig"], name)
		assert.NotNil(t, props["LoggingConfig"], "%s logs to its own log group", name)
		if name == lambdascan.FunctionName(contract.StepScan) {
			assert.EqualValues(t, 1024, props["MemorySize"])
			assert.EqualValues(t, 900, props["Timeout"])
			assert.EqualValues(t, 10, props["ReservedConcurrentExecutions"])
			assert.Equal(t, map[string]any{"Size": float64(2048)}, props["EphemeralStorage"])
		}
	}
	assert.Equal(t, len(contract.Steps), ours, "one Lambda per step")
}

func TestEncryptionAtRest(t *testing.T) {
	for id, b := range resources(scannerTmpl, "AWS::S3::Bucket") {
		enc := b["BucketEncryption"]
		require.NotNil(t, enc, id)
		assert.NotNil(t, b["PublicAccessBlockConfiguration"], id)
		if strings.HasPrefix(id, "ScannerData") {
			assert.Contains(t, fmt.Sprint(enc), "aws:kms")
			assert.Equal(t, map[string]any{"Status": "Enabled"}, b["VersioningConfiguration"])
			rules := fmt.Sprint(b["LifecycleConfiguration"])
			assert.Contains(t, rules, "staging/")
			assert.Contains(t, rules, "ExpirationInDays:1 ")
		}
	}
	for id, tbl := range resources(scannerTmpl, "AWS::DynamoDB::Table") {
		assert.Contains(t, fmt.Sprint(tbl["SSESpecification"]), "KMS", id)
		assert.Equal(t, map[string]any{"PointInTimeRecoveryEnabled": true}, tbl["PointInTimeRecoverySpecification"], id)
		if strings.HasPrefix(id, "ScannerFindingsStore") {
			// Open findings do not expire; the GSIs answer the fleet queries.
			assert.Nil(t, tbl["TimeToLiveSpecification"], id)
			var names []string
			for _, g := range asSlice(tbl["GlobalSecondaryIndexes"]) {
				names = append(names, fmt.Sprint(g.(map[string]any)["IndexName"]))
			}
			assert.ElementsMatch(t, findings.Indexes, names)
			assert.Len(t, names, 4)
		} else {
			assert.Equal(t, map[string]any{"AttributeName": "ttl", "Enabled": true}, tbl["TimeToLiveSpecification"], id)
		}
		assert.Equal(t, "PAY_PER_REQUEST", tbl["BillingMode"], id)
	}
	for typ, key := range map[string]string{"AWS::SNS::Topic": "KmsMasterKeyId", "AWS::SQS::Queue": "KmsMasterKeyId", "AWS::Logs::LogGroup": "KmsKeyId"} {
		for id, r := range resources(scannerTmpl, typ) {
			assert.NotNil(t, r[key], "%s %s is not encrypted with the CMK", typ, id)
		}
	}
	for _, k := range resources(scannerTmpl, "AWS::KMS::Key") {
		assert.Equal(t, true, k["EnableKeyRotation"])
	}
}

// Every IAM statement in both stacks: no "*" action, no "service:*", and the
// conditions the design relies on.
func TestLeastPrivilege(t *testing.T) {
	wildcard := regexp.MustCompile(`^(\*|[a-z0-9-]+:\*)$`)
	type st struct{ Action, Resource, Condition any }
	var all []st
	collect := func(doc any) {
		b, _ := json.Marshal(doc)
		var d struct {
			Statement []st `json:"Statement"`
		}
		json.Unmarshal(b, &d)
		all = append(all, d.Statement...)
	}
	for _, tmpl := range []map[string]any{scannerTmpl, memberTmpl} {
		for _, p := range resources(tmpl, "AWS::IAM::Policy") {
			collect(p["PolicyDocument"])
		}
		for _, r := range resources(tmpl, "AWS::IAM::Role") {
			for _, p := range asSlice(r["Policies"]) {
				collect(p.(map[string]any)["PolicyDocument"])
			}
		}
		for _, k := range resources(tmpl, "AWS::KMS::Key") {
			collect(k["KeyPolicy"])
		}
	}
	require.NotEmpty(t, all)
	var tagging, metrics, assume, secrets, findingsStore, putEvents int
	for _, s := range all {
		for _, a := range asSlice(s.Action) {
			action := a.(string)
			assert.False(t, wildcard.MatchString(action), "wildcard action %q", action)
			cond := fmt.Sprint(s.Condition)
			switch action {
			case "lambda:TagResource":
				tagging++
				assert.Contains(t, cond, "aws:TagKeys")
				assert.Contains(t, cond, contract.TagStatus)
			case "cloudwatch:PutMetricData":
				metrics++
				assert.Contains(t, cond, "cloudwatch:namespace")
			case "sts:AssumeRole":
				assume++
				assert.Contains(t, fmt.Sprint(s.Resource), ":role/lambdascan-member")
			case "secretsmanager:GetSecretValue":
				secrets++
				assert.Regexp(t, "lambdascan/external-id|lambdascan/nvd-api-key", fmt.Sprint(s.Resource))
			case "dynamodb:Query", "dynamodb:BatchWriteItem":
				// Only the store step, only on the findings store.
				assert.Contains(t, fmt.Sprint(s.Resource), "FindingsStore", action)
				assert.NotContains(t, fmt.Sprint(s.Resource), "ScannerCache", action)
				findingsStore++
			case "events:PutEvents":
				assert.Contains(t, fmt.Sprint(s.Resource), ":event-bus/default", "findings events go to the default bus only")
				putEvents++
			case "dynamodb:Scan", "s3:DeleteObject", "lambda:UpdateFunctionCode":
				t.Errorf("the scanner never needs %s", action)
			}
		}
	}
	assert.Equal(t, 2, tagging, "the tag step and the member role")
	assert.Equal(t, 2, metrics, "the metrics step and the mirror (FeedFailure, index age)")
	assert.Equal(t, 2, findingsStore, "Query and BatchWriteItem, in the store step's policy")
	assert.Equal(t, 2, putEvents, "the store step, and the member stack's forwarding role (to the scanner's default bus)")
	assert.Equal(t, 5, assume, "the steps that call Lambda on the scanned function, and bulk enumeration")
	assert.Equal(t, 6, secrets, "the external id for the cross-account steps, the NVD key for the mirror")
}

func asSlice(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

// Every ${Placeholder} of the ASL is substituted, with a function of the template.
func TestStateMachineSubstitutions(t *testing.T) {
	sms := resources(scannerTmpl, "AWS::StepFunctions::StateMachine")
	require.Len(t, sms, 2)
	for _, sm := range sms {
		asl := statemachine.Scan
		if sm["StateMachineName"] == "lambdascan-bulk" {
			asl = statemachine.Bulk
			assert.Contains(t, fmt.Sprint(sm["DefinitionString"]), `"MaxConcurrency": 40`)
		}
		subs := sm["DefinitionSubstitutions"].(map[string]any)
		var keys []string
		for k := range subs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		assert.Equal(t, statemachine.Placeholders(asl), keys)
		fns := resources(scannerTmpl, "AWS::Lambda::Function")
		machines := resources(scannerTmpl, "AWS::StepFunctions::StateMachine")
		for k, v := range subs {
			if ref, ok := v.(map[string]any)["Ref"]; ok {
				_, isMachine := machines[ref.(string)]
				_, isBucket := resources(scannerTmpl, "AWS::S3::Bucket")[ref.(string)]
				assert.True(t, isMachine || k == "ResultsBucketName" && isBucket, "%s points at %v", k, ref)
				continue
			}
			getAtt := v.(map[string]any)["Fn::GetAtt"].([]any)
			_, ok := fns[getAtt[0].(string)]
			assert.True(t, ok, "%s points at %v, not a function of the stack", k, getAtt)
		}
		assert.Equal(t, map[string]any{"Enabled": true}, sm["TracingConfiguration"])
		assert.Contains(t, fmt.Sprint(sm["LoggingConfiguration"]), "Level:ALL")
	}
}

func TestEventRuleAndSchedules(t *testing.T) {
	var scanRule, schedule bool
	for _, r := range resources(scannerTmpl, "AWS::Events::Rule") {
		if p, ok := r["EventPattern"]; ok {
			scanRule = true
			pat := fmt.Sprint(p)
			for _, ev := range []string{"CreateFunction20150331", "UpdateFunctionCode20150331v2", "UpdateFunctionConfiguration20150331v2"} {
				assert.Contains(t, pat, ev)
			}
			assert.Contains(t, pat, "errorCode:[map[exists:false]]")
			target := asSlice(r["Targets"])[0].(map[string]any)
			assert.NotNil(t, target["DeadLetterConfig"])
			assert.NotNil(t, target["RetryPolicy"])
		}
		if r["ScheduleExpression"] == "rate(1 day)" {
			schedule = true
		}
	}
	assert.True(t, scanRule)
	assert.True(t, schedule, "daily mirror")
	assert.NotEmpty(t, resources(scannerTmpl, "Custom::Trigger"), "mirror once after deploy")
	assert.NotEmpty(t, resources(scannerTmpl, "AWS::CloudTrail::Trail"), "CreateTrail=true")
}

func TestAlarms(t *testing.T) {
	alarms := resources(scannerTmpl, "AWS::CloudWatch::Alarm")
	assert.Len(t, alarms, 3*len(contract.Steps)+6+3, "errors, throttles, duration per Lambda; DLQ; failed scan and bulk executions; failed mirror run; code hash mismatch; index age; a failed refresh of each of the 3 feeds")
	var age bool
	for _, a := range alarms {
		if a["MetricName"] == contract.MetricIndexAgeHours {
			age = true
			assert.EqualValues(t, 36, a["Threshold"])
			assert.Equal(t, "breaching", a["TreatMissingData"], "a mirror that stopped running alarms too")
		}
	}
	assert.True(t, age, "the index age alarms above 36 h")
	var mismatch bool
	for _, a := range alarms {
		mismatch = mismatch || a["MetricName"] == contract.MetricCodeHashMismatch && a["Namespace"] == lambdascan.MetricsNamespace
	}
	assert.True(t, mismatch, "CodeHashMismatch alarms")
	var mirrorFailed bool
	for _, a := range alarms {
		if a["MetricName"] == "Errors" && fmt.Sprint(a["Dimensions"]) != "" && a["Threshold"] == 0.0 && a["Period"] == 3600.0 {
			mirrorFailed = true
		}
	}
	assert.True(t, mirrorFailed, "any failed mirror run alarms")
	// The daily mirror is invoked asynchronously: its failures go to the DLQ.
	configs := resources(scannerTmpl, "AWS::Lambda::EventInvokeConfig")
	require.Len(t, configs, 1)
	for _, c := range configs {
		assert.Contains(t, fmt.Sprint(c["DestinationConfig"]), "OnFailure")
		assert.Contains(t, fmt.Sprint(c["FunctionName"]), "Fnmirror")
	}
	for id, a := range alarms {
		assert.NotEmpty(t, a["AlarmActions"], id)
	}
	assert.Len(t, resources(scannerTmpl, "AWS::CloudWatch::Dashboard"), 1)
}

func TestMemberRole(t *testing.T) {
	roles := resources(memberTmpl, "AWS::IAM::Role")
	require.Len(t, roles, 2, "the read role and the forwarding rule's role")
	read := 0
	for _, r := range roles {
		trust := fmt.Sprint(r["AssumeRolePolicyDocument"])
		if !strings.Contains(trust, "sts:ExternalId") {
			continue
		}
		read++
		assert.Contains(t, trust, "aws:PrincipalArn")
		assert.Equal(t, "lambdascan-member", r["RoleName"])
	}
	assert.Equal(t, 1, read)
	params := memberTmpl["Parameters"].(map[string]any)
	assert.Contains(t, params, "ScannerAccountId")
	assert.Contains(t, params, "ExternalId")
	assert.Empty(t, resources(memberTmpl, "AWS::Lambda::Function"), "a plain template: no assets")
}

// The member stack forwards the scanner's events to the scanner's bus
// through a role of its own; the read role is created only where CreateRole.
func TestMemberForwarding(t *testing.T) {
	rules := resources(memberTmpl, "AWS::Events::Rule")
	require.Len(t, rules, 1)
	var scannerRule map[string]any
	for _, r := range resources(scannerTmpl, "AWS::Events::Rule") {
		if r["EventPattern"] != nil {
			scannerRule = r
		}
	}
	for _, r := range rules {
		assert.Equal(t, lambdascan.ForwardRuleName, r["Name"])
		assert.Equal(t, scannerRule["EventPattern"], r["EventPattern"], "the scanner's pattern")
		targets := asSlice(r["Targets"])
		require.Len(t, targets, 1)
		target := targets[0].(map[string]any)
		arn := fmt.Sprint(target["Arn"])
		assert.Contains(t, arn, ":events:")
		assert.Contains(t, arn, "ScannerAccountId")
		assert.Contains(t, arn, ":event-bus/default")
		assert.Contains(t, arn, "ScannerInThisRegion", "the scanner's region, or this one")
		require.NotNil(t, target["RoleArn"], "a cross-account bus target needs its own role")
	}
	var forwardRole, readRole int
	for id, r := range resources(memberTmpl, "AWS::IAM::Role") {
		trust := fmt.Sprint(r["AssumeRolePolicyDocument"])
		switch {
		case strings.Contains(trust, "events.amazonaws.com"):
			forwardRole++
		case strings.Contains(trust, "sts:ExternalId"):
			readRole++
			res := memberTmpl["Resources"].(map[string]any)[id].(map[string]any)
			assert.Equal(t, "WithRole", res["Condition"], "the global role exists in one region only")
		}
	}
	assert.Equal(t, 1, forwardRole)
	assert.Equal(t, 1, readRole)
	var putEvents bool
	for id, p := range resources(memberTmpl, "AWS::IAM::Policy") {
		doc := fmt.Sprint(p["PolicyDocument"])
		if strings.Contains(doc, "events:PutEvents") {
			putEvents = true
			assert.Contains(t, doc, ":event-bus/default")
		} else {
			res := memberTmpl["Resources"].(map[string]any)[id].(map[string]any)
			assert.Equal(t, "WithRole", res["Condition"], "%s belongs to the read role", id)
		}
	}
	assert.True(t, putEvents)
	params := memberTmpl["Parameters"].(map[string]any)
	assert.Contains(t, params, "ScannerRegion")
	assert.Contains(t, params, "CreateRole")
}

// The scanner's default bus admits the organization, or the listed accounts
// (and then its rule takes events from those accounts and its own only).
func TestScannerBusPolicy(t *testing.T) {
	policies := resources(scannerTmpl, "AWS::Events::EventBusPolicy")
	require.Len(t, policies, 1)
	for _, p := range policies {
		st := fmt.Sprint(p["Statement"])
		assert.Contains(t, st, "events:PutEvents")
		assert.Contains(t, st, "aws:PrincipalOrgID:o-a1b2c3d4e5")
		assert.Contains(t, st, "Principal:*")
		assert.Equal(t, "default", p["EventBusName"])
	}
	policies = resources(listedTmpl, "AWS::Events::EventBusPolicy")
	require.Len(t, policies, 1)
	for _, p := range policies {
		st := fmt.Sprint(p["Statement"])
		assert.Contains(t, st, ":iam::111111111111:root")
		assert.Contains(t, st, ":iam::222222222222:root")
		assert.NotContains(t, st, "PrincipalOrgID")
	}
	for _, r := range resources(listedTmpl, "AWS::Events::Rule") {
		if pat, ok := r["EventPattern"].(map[string]any); ok {
			accounts := fmt.Sprint(pat["account"])
			assert.Contains(t, accounts, "111111111111")
			assert.Contains(t, accounts, "222222222222")
			assert.Contains(t, accounts, "AWS::AccountId")
		}
	}
}

// Every action a step's code calls (internal/step/iam, kept beside the
// handlers) is allowed to the step's role: moto enforces no IAM, so this
// is where a missing permission shows before AWS refuses it.
func TestStepRolesCoverTheirCalls(t *testing.T) {
	roleStep := map[string]string{}
	for id, r := range resources(scannerTmpl, "AWS::IAM::Role") {
		name := fmt.Sprint(r["RoleName"])
		for _, st := range contract.Steps {
			if strings.Contains(name, "lambdascan-"+st.Name+"-role-") {
				roleStep[id] = st.Name
			}
		}
	}
	granted := map[string]map[string]bool{}
	for _, p := range resources(scannerTmpl, "AWS::IAM::Policy") {
		for _, ref := range asSlice(p["Roles"]) {
			st, ok := roleStep[fmt.Sprint(ref.(map[string]any)["Ref"])]
			if !ok {
				continue
			}
			if granted[st] == nil {
				granted[st] = map[string]bool{}
			}
			for _, s := range asSlice(p["PolicyDocument"].(map[string]any)["Statement"]) {
				for _, a := range asSlice(s.(map[string]any)["Action"]) {
					granted[st][a.(string)] = true
				}
			}
		}
	}
	require.Len(t, granted, len(contract.Steps), "one policy per step role")
	for _, st := range contract.Steps {
		want := append([]string(nil), iam.Actions[st.Name]...)
		want = append(want, iam.CrossAccount[st.Name]...) // the template has a member role and its secret
		want = append(want, iam.Optional[st.Name]...)     // and Security Hub and an NVD key
		require.NotNil(t, iam.Actions[st.Name], "%s: its calls are listed", st.Name)
		for _, a := range want {
			assert.True(t, granted[st.Name][a], "%s calls %s; its role lacks it", st.Name, a)
		}
	}
}

// Every step role that reads or writes the CMK-encrypted table may use the key.
func TestTableUsersMayUseTheKey(t *testing.T) {
	for id, p := range resources(scannerTmpl, "AWS::IAM::Policy") {
		if !strings.HasPrefix(id, "ScannerPolicy") {
			continue
		}
		doc := fmt.Sprint(p["PolicyDocument"])
		if strings.Contains(doc, "dynamodb:") {
			assert.Contains(t, doc, "kms:Decrypt", id)
			assert.Contains(t, doc, "kms:GenerateDataKey", id)
		}
	}
}

func TestPropsValidation(t *testing.T) {
	for name, mutate := range map[string]func(*lambdascan.Props){
		"memory":    func(p *lambdascan.Props) { p.ScannerMemorySize = 64 },
		"timeout":   func(p *lambdascan.Props) { p.ScannerTimeout = 901 },
		"severity":  func(p *lambdascan.Props) { p.NotifySeverity = "severe" },
		"log level": func(p *lambdascan.Props) { p.LogLevel = "DEBUG" },
		"secret":    func(p *lambdascan.Props) { p.ExternalIDSecret = "x" },
		"schedule":  func(p *lambdascan.Props) { p.BulkScanSchedule = "every day" },
		"org id":    func(p *lambdascan.Props) { p.MemberOrganizationID = "org-1" },
		"account":   func(p *lambdascan.Props) { p.MemberAccounts = []string{"12345"} },
		"both": func(p *lambdascan.Props) {
			p.MemberOrganizationID, p.MemberAccounts = "o-a1b2c3d4e5", []string{"111111111111"}
		},
	} {
		p := lambdascan.Defaults()
		mutate(&p)
		assert.Error(t, p.Validate(), name)
	}
	assert.NoError(t, lambdascan.Defaults().Validate())
}
