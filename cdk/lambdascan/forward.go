package lambdascan

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/lambdascan/lambdascan/shared/events"
)

// ForwardRuleName is the member account's rule that forwards Lambda
// CloudTrail events to the scanner's bus (one per region).
const ForwardRuleName = "lambdascan-forward"

// scanEventPattern is the one pattern of the Lambda CloudTrail events the
// scanner acts on: the scanner's own rule and every member's forwarding
// rule use it. accounts, when given, limits the scanner's rule to events
// from those accounts.
func scanEventPattern(accounts []*string) *awsevents.EventPattern {
	p := &awsevents.EventPattern{
		Source:     jsii.Strings("aws.lambda"),
		DetailType: jsii.Strings("AWS API Call via CloudTrail"),
		Detail: &map[string]interface{}{
			"eventSource": []string{"lambda.amazonaws.com"},
			"eventName":   events.ScanEventNames(),
			"errorCode":   []map[string]bool{{"exists": false}},
		},
	}
	if len(accounts) > 0 {
		p.Account = &accounts
	}
	return p
}

// MemberForwardingProps name the scanner's bus.
type MemberForwardingProps struct {
	ScannerAccountID *string
	ScannerRegion    *string // the scanner's region (a StackSet instance may sit in another)
}

// NewMemberForwarding is the member side of deploy-time scans: a rule on
// the member account's default bus with the scanner's pattern, targeting
// the scanner account's default bus through a role of its own (a
// cross-account bus target needs one).
func NewMemberForwarding(scope constructs.Construct, id string, p MemberForwardingProps) awsevents.Rule {
	stack := awscdk.Stack_Of(scope)
	busARN := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":events:"), p.ScannerRegion,
		jsii.String(":"), p.ScannerAccountID, jsii.String(":event-bus/default")})
	role := awsiam.NewRole(scope, jsii.String(id+"Role"), &awsiam.RoleProps{
		Description: jsii.String("lambdascan: forward Lambda CloudTrail events to the scanner account's bus"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil).WithConditions(&map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()},
		}),
	})
	role.AddToPolicy(stmt([]string{"events:PutEvents"}, []*string{busARN}, nil))
	rule := awsevents.NewRule(scope, jsii.String(id), &awsevents.RuleProps{
		RuleName:     jsii.String(ForwardRuleName),
		Description:  jsii.String("Forward Lambda code and configuration changes to the lambdascan scanner"),
		EventPattern: scanEventPattern(nil),
	})
	rule.AddTarget(awseventstargets.NewEventBus(awsevents.EventBus_FromEventBusArn(scope, jsii.String(id+"ScannerBus"), busARN),
		&awseventstargets.EventBusProps{Role: role}))
	return rule
}

// addMemberBusPolicy lets member accounts put events on the scanner's
// default bus: every account of the organization (aws:PrincipalOrgID) or
// the listed accounts.
func (s *Scanner) addMemberBusPolicy(c constructs.Construct, p Props) {
	if p.MemberOrganizationID == "" && len(p.MemberAccounts) == 0 {
		return
	}
	stack := awscdk.Stack_Of(c)
	busARN := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":events:"), stack.Region(),
		jsii.String(":"), stack.Account(), jsii.String(":event-bus/default")})
	statement := map[string]interface{}{
		"Sid": "LambdaScanMembers", "Effect": "Allow", "Action": "events:PutEvents", "Resource": busARN,
	}
	if p.MemberOrganizationID != "" {
		statement["Principal"] = "*"
		statement["Condition"] = map[string]interface{}{"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": p.MemberOrganizationID}}
	} else {
		var principals []*string
		for _, a := range p.MemberAccounts {
			principals = append(principals, awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":iam::" + a + ":root")}))
		}
		statement["Principal"] = map[string]interface{}{"AWS": principals}
	}
	awsevents.NewCfnEventBusPolicy(c, jsii.String("MemberBusPolicy"), &awsevents.CfnEventBusPolicyProps{
		EventBusName: jsii.String("default"), StatementId: jsii.String("LambdaScanMembers"), Statement: statement,
	})
}

// ruleAccounts are the accounts the scanner's rule takes events from: all
// (nil) unless members are listed, then this account and those.
func ruleAccounts(c constructs.Construct, p Props) []*string {
	if len(p.MemberAccounts) == 0 {
		return nil
	}
	out := []*string{awscdk.Stack_Of(c).Account()}
	for _, a := range p.MemberAccounts {
		out = append(out, jsii.String(a))
	}
	return out
}
