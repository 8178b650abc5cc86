package scanflow

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/internal/step/cachecheck"
	"github.com/lambdascan/lambdascan/internal/step/validate"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// A function in a member account is read through the member role with the
// ExternalId, and tagged there; its report lands in the scanner's bucket.
func TestCrossAccountFunction(t *testing.T) {
	ctx := context.Background()
	const member = "210987654321"
	m, err := env.InAccount(ctx, member)
	require.NoError(t, err)
	ic := iam.NewFromConfig(m.AWS.Config, func(o *iam.Options) { o.BaseEndpoint = aws.String(env.Stack.Endpoint) })
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(localstack.FunctionRole),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	if _, err := m.AWS.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(localstack.CodeBucket)}); err != nil {
		_, err = m.AWS.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(localstack.CodeBucket),
			CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(localstack.Region)}})
		require.NoError(t, err)
	}
	fn, err := m.CreateFunction(ctx, "member-orders", pkg("node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)
	require.Contains(t, fn, ":"+member+":")

	// Without the member role the scanner's own credentials cannot see it.
	cfg := env.Config
	cfg.CrossAccountRoleName = ""
	target, err := validate.New(cfg, env.AWS.Env).Handle(ctx, []byte(`{"functionArn":"`+fn+`"}`))
	require.NoError(t, err)
	_, err = cachecheck.New(cfg, env.AWS.Env).Handle(ctx, target)
	var nf *contract.FunctionNotFound
	require.ErrorAs(t, err, &nf, "the member account's function is invisible to the scanner account")

	o, _ := run(t, "CreateFunction20150331", fn)
	require.Equal(t, "scanned", o.Outcome)
	assert.Contains(t, o.Stored.ReportKey, "reports/"+member+"/eu-west-1/member-orders/")

	tags, err := m.AWS.Lambda.ListTags(ctx, &lambdasvc.ListTagsInput{Resource: aws.String(fn)})
	require.NoError(t, err)
	assert.Equal(t, "complete", tags.Tags["LambdaScanStatus"], "tagged in the member account")
}

// A function in another region of the scanner's account: the Lambda calls
// follow the function's region.
func TestOtherRegionFunction(t *testing.T) {
	ctx := context.Background()
	cfg := env.AWS.Config.Copy()
	cfg.Region = "us-east-1"
	east := &localstack.Env{Stack: env.Stack, AWS: localstack.NewClients(cfg, env.Stack.Endpoint), Account: localstack.Account}
	if _, err := east.AWS.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(localstack.CodeBucket)}); err != nil {
		t.Fatalf("code bucket: %v", err)
	}
	fn, err := east.CreateFunction(ctx, "east-orders", pkg("node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)
	require.Contains(t, fn, ":us-east-1:")
	o, _ := run(t, "CreateFunction20150331", fn)
	require.Equal(t, "scanned", o.Outcome)
	assert.Contains(t, o.Stored.ReportKey, "reports/"+localstack.Account+"/us-east-1/east-orders/")
	tags, err := east.AWS.Lambda.ListTags(ctx, &lambdasvc.ListTagsInput{Resource: aws.String(fn)})
	require.NoError(t, err)
	assert.Equal(t, "complete", tags.Tags["LambdaScanStatus"])
}

// A deploy in a member account reaches the scanner: the member's rule
// forwards the CloudTrail event to the scanner's bus, the scanner's rule
// starts a scan, and the function is read through the member role.
func TestMemberAccountEvent(t *testing.T) {
	ctx := context.Background()
	const member = "210987654322"
	m := memberEnv(t, member)
	fn, err := m.CreateFunction(ctx, "member-billing", pkg("python-requirements.zip"), "python3.12", nil, nil)
	require.NoError(t, err)
	require.NoError(t, m.ForwardToScanner(ctx, env))

	require.NoError(t, m.PutLambdaEvent(ctx, "CreateFunction20150331", fn))
	exec, err := env.FindExecution(ctx, fn, time.Minute)
	require.NoError(t, err, "the forwarded event started a scan in the scanner account")
	out, err := env.Wait(ctx, exec, 3*time.Minute)
	require.NoError(t, err)
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, out.Status, "%s %s", aws.ToString(out.Error), aws.ToString(out.Cause))
	var o output
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.Output)), &o))
	require.Equal(t, "scanned", o.Outcome)
	assert.Contains(t, o.Stored.ReportKey, "reports/"+member+"/eu-west-1/member-billing/")
	var in struct {
		Detail struct {
			RecipientAccountID string `json:"recipientAccountId"`
			EventName          string `json:"eventName"`
		} `json:"detail"`
	}
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.Input)), &in))
	assert.Equal(t, member, in.Detail.RecipientAccountID, "the forwarded CloudTrail detail")
	tags, err := m.AWS.Lambda.ListTags(ctx, &lambdasvc.ListTagsInput{Resource: aws.String(fn)})
	require.NoError(t, err)
	assert.Equal(t, "complete", tags.Tags["LambdaScanStatus"], "tagged in the member account through the member role")
}

// memberEnv is a member account of the local stack with the role its
// functions run as (the code bucket's name is global).
func memberEnv(t *testing.T, account string) *localstack.Env {
	t.Helper()
	ctx := context.Background()
	m, err := env.InAccount(ctx, account)
	require.NoError(t, err)
	ic := iam.NewFromConfig(m.AWS.Config, func(o *iam.Options) { o.BaseEndpoint = aws.String(env.Stack.Endpoint) })
	_, err = ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(localstack.FunctionRole),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	require.NoError(t, err)
	_, err = m.AWS.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(localstack.CodeBucket)})
	require.NoError(t, err, "the code bucket (global names) exists")
	return m
}
