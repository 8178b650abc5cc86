package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/lambdascan/lambdascan/shared/events"
)

// ForwardRule is the member stack's forwarding rule (cdk: ForwardRuleName).
const ForwardRule = "lambdascan-forward"

// scanPattern is the pattern of the scanner's rule and of every member's
// forwarding rule.
func scanPattern() string {
	b, _ := json.Marshal(map[string]any{
		"source": []string{"aws.lambda"}, "detail-type": []string{"AWS API Call via CloudTrail"},
		"detail": map[string]any{"eventSource": []string{"lambda.amazonaws.com"}, "eventName": events.ScanEventNames(),
			"errorCode": []map[string]bool{{"exists": false}}},
	})
	return string(b)
}

// ForwardToScanner deploys what the member stack deploys in this (member)
// account: a role EventBridge assumes to put events on the scanner's bus,
// and a rule with the scanner's pattern whose target is that bus. The
// scanner's bus policy is what the scanner stack deploys: events:PutEvents
// for this account. moto keeps both but enforces neither, and re-puts a
// forwarded event with the scanner's account in its envelope (AWS keeps the
// member's); the detail, which the workflow reads, is forwarded unchanged.
func (e *Env) ForwardToScanner(ctx context.Context, scanner *Env) error {
	ic := iam.NewFromConfig(e.AWS.Config, func(o *iam.Options) { o.BaseEndpoint = aws.String(e.Stack.Endpoint) })
	role, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(ForwardRule + "-" + Region),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		return fmt.Errorf("forwarding role: %w", err)
	}
	bus := fmt.Sprintf("arn:aws:events:%s:%s:event-bus/default", Region, scanner.Account)
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role.Role.RoleName, PolicyName: aws.String("put-events"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"events:PutEvents","Resource":"` + bus + `"}]}`)}); err != nil {
		return err
	}
	scannerEB := eventbridge.NewFromConfig(scanner.AWS.Config, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(e.Stack.Endpoint) })
	if _, err := scannerEB.PutPermission(ctx, &eventbridge.PutPermissionInput{EventBusName: aws.String("default"),
		StatementId: aws.String("LambdaScanMember" + e.Account), Action: aws.String("events:PutEvents"), Principal: aws.String(e.Account)}); err != nil {
		return fmt.Errorf("scanner bus policy: %w", err)
	}
	eb := eventbridge.NewFromConfig(e.AWS.Config, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(e.Stack.Endpoint) })
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(ForwardRule), EventPattern: aws.String(scanPattern())}); err != nil {
		return fmt.Errorf("forwarding rule: %w", err)
	}
	_, err = eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(ForwardRule),
		Targets: []ebtypes.Target{{Id: aws.String("scanner-bus"), Arn: aws.String(bus), RoleArn: role.Role.Arn}}})
	return err
}

// PutLambdaEvent puts a CloudTrail-shaped Lambda API event on this
// account's default bus, as CloudTrail does for a call made in it.
func (e *Env) PutLambdaEvent(ctx context.Context, eventName, functionARN string) error {
	detail, _ := json.Marshal(map[string]any{
		"eventVersion": "1.09", "eventSource": "lambda.amazonaws.com", "eventName": eventName, "awsRegion": Region,
		"eventID": fmt.Sprintf("local-%d", time.Now().UnixNano()), "recipientAccountId": e.Account, "eventType": "AwsApiCall",
		"requestParameters": map[string]any{"functionName": functionARN},
		"responseElements":  map[string]any{"functionArn": functionARN},
	})
	eb := eventbridge.NewFromConfig(e.AWS.Config, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(e.Stack.Endpoint) })
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("aws.lambda"), DetailType: aws.String("AWS API Call via CloudTrail"), Detail: aws.String(string(detail)),
	}}})
	if err != nil {
		return err
	}
	if out.FailedEntryCount > 0 {
		return fmt.Errorf("PutEvents: %s", aws.ToString(out.Entries[0].ErrorMessage))
	}
	return nil
}

// FindExecution waits for an execution of the scan state machine whose
// input mentions s (a forwarded event's id is new, so its name is unknown).
func (e *Env) FindExecution(ctx context.Context, s string, timeout time.Duration) (string, error) {
	seen := map[string]bool{}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		p := sfn.NewListExecutionsPaginator(e.AWS.SFN, &sfn.ListExecutionsInput{StateMachineArn: aws.String(e.StateMachineARN)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return "", err
			}
			for _, x := range page.Executions {
				arn := aws.ToString(x.ExecutionArn)
				if seen[arn] {
					continue
				}
				d, err := e.AWS.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x.ExecutionArn})
				if err != nil {
					return "", err
				}
				if strings.Contains(aws.ToString(d.Input), s) {
					return arn, nil
				}
				seen[arn] = true
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return "", fmt.Errorf("no execution for %s within %s", s, timeout)
}
