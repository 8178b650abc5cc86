package lambdascan

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// NewScannerStack is what `cdk deploy LambdaScan` creates.
func NewScannerStack(scope constructs.Construct, id string, p Props, env *awscdk.Environment) (awscdk.Stack, Scanner) {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Env: env, Description: jsii.String("lambdascan: agentless vulnerability scanning for AWS Lambda"),
	})
	s := NewScanner(stack, "Scanner", p)
	suppressScanner(stack, p)
	return stack, s
}

// NewMemberStack is the member-account stack (also a plain template for
// StackSets): parameters, not context, carry the scanner account and
// ExternalId. Each region gets an instance: its rule forwards that region's
// Lambda events to the scanner's bus (ScannerRegion, default the instance's
// own region); the read role is global, so only the instance with
// CreateRole=true (one region per account) creates it.
func NewMemberStack(scope constructs.Construct, id, roleName string, env *awscdk.Environment) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &awscdk.StackProps{
		Env: env, Description: jsii.String("lambdascan member account: the scanner's read-only role and the forwarding of Lambda events"),
		Synthesizer: awscdk.NewCliCredentialsStackSynthesizer(nil), // no bootstrap needed: usable as a StackSet template
	})
	scanner := awscdk.NewCfnParameter(stack, jsii.String("ScannerAccountId"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), AllowedPattern: jsii.String(`^\d{12}$`), Description: jsii.String("Account of the lambdascan scanner stack"),
	})
	ext := awscdk.NewCfnParameter(stack, jsii.String("ExternalId"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), NoEcho: jsii.Bool(true), MinLength: jsii.Number(16), Description: jsii.String("ExternalId the scanner presents"),
	})
	scannerRegion := awscdk.NewCfnParameter(stack, jsii.String("ScannerRegion"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), Default: jsii.String(""), AllowedPattern: jsii.String(`^([a-z]{2}(-[a-z]+)+-\d)?$`),
		Description: jsii.String("Region of the scanner's event bus (empty: this stack's region)"),
	})
	createRole := awscdk.NewCfnParameter(stack, jsii.String("CreateRole"), &awscdk.CfnParameterProps{
		Type: jsii.String("String"), Default: jsii.String("true"), AllowedValues: jsii.Strings("true", "false"),
		Description: jsii.String("Create the global read role here (true in exactly one region of each account)"),
	})
	sameRegion := awscdk.NewCfnCondition(stack, jsii.String("ScannerInThisRegion"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(scannerRegion.ValueAsString(), jsii.String("")),
	})
	withRole := awscdk.NewCfnCondition(stack, jsii.String("WithRole"), &awscdk.CfnConditionProps{
		Expression: awscdk.Fn_ConditionEquals(createRole.ValueAsString(), jsii.String("true")),
	})
	role := NewMemberRole(stack, "ScannerRole", MemberRoleProps{RoleName: roleName, ScannerAccountID: scanner.ValueAsString(), ExternalID: ext.ValueAsString()})
	for _, child := range *role.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		if r, ok := child.(awscdk.CfnResource); ok {
			r.CfnOptions().SetCondition(withRole)
		}
	}
	region := awscdk.Token_AsString(awscdk.Fn_ConditionIf(sameRegion.LogicalId(), stack.Region(), scannerRegion.ValueAsString()), nil)
	NewMemberForwarding(stack, "Forward", MemberForwardingProps{ScannerAccountID: scanner.ValueAsString(), ScannerRegion: region})
	cdknag.NagSuppressions_AddStackSuppressions(stack, &[]*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String("Function and layer ARNs of this account are the role's purpose; ListFunctions has no resource-level permissions.")},
	}, nil)
	return stack
}

// suppressScanner records, with reasons, the findings cdk-nag makes that the
// design accepts.
func suppressScanner(stack awscdk.Stack, p Props) {
	s := []*cdknag.NagPackSuppression{
		{Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String(
			"Wildcards are resource-level only: scanned functions (any function of the account, any region), layer versions, object prefixes in our bucket, " +
				"X-Ray (no resource-level permissions), PutMetricData (namespace-conditioned), member roles by name, and the log delivery actions Step Functions requires.")},
		{Id: jsii.String("AwsSolutions-L1"), Reason: jsii.String("Our functions run provided.al2023 (the newest); the triggers provider function is CDK's own.")},
		{Id: jsii.String("AwsSolutions-IAM4"), Reason: jsii.String("Only CDK's triggers provider uses AWSLambdaBasicExecutionRole; the scanner's roles have inline least-privilege policies.")},
		{Id: jsii.String("AwsSolutions-S1"), Reason: jsii.String("This is the access-logs bucket itself.")},
		{Id: jsii.String("AwsSolutions-SQS3"), Reason: jsii.String("The queue is the dead-letter queue of the EventBridge targets.")},
	}
	if p.LogLevel != "ALL" {
		s = append(s, &cdknag.NagPackSuppression{Id: jsii.String("AwsSolutions-SF1"),
			Reason: jsii.String("The operator set LogLevel=" + p.LogLevel + " for the state machine; every execution is still in its history.")})
	}
	cdknag.NagSuppressions_AddStackSuppressions(stack, &s, jsii.Bool(true))
}
