package lambdascan

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/lambdascan/lambdascan/shared/contract"
)

// MemberRoleProps configure what a scanned account grants the scanner.
type MemberRoleProps struct {
	RoleName         string  // the scanner's CrossAccountRoleName
	ScannerAccountID *string // account of the scanner stack
	ExternalID       *string // shared secret the scanner presents
}

// NewMemberRole is the read-only role a member account gives the scanner:
// trusted only by the scanner's step roles, with the ExternalId; it may read
// functions and layers and set only the scanner's three tags.
func NewMemberRole(scope constructs.Construct, id string, p MemberRoleProps) awsiam.Role {
	stack := awscdk.Stack_Of(scope)
	var scannerRoles []string
	for _, st := range crossAccountSteps {
		scannerRoles = append(scannerRoles, *awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("arn:"), stack.Partition(), jsii.String(":iam::"), p.ScannerAccountID, jsii.String(":role/" + contract.FunctionName(st) + "-role-*"),
		}))
	}
	role := awsiam.NewRole(scope, jsii.String(id), &awsiam.RoleProps{
		RoleName:    jsii.String(p.RoleName),
		Description: jsii.String("lambdascan: read Lambda code and layers, set LambdaScan* tags"),
		AssumedBy: awsiam.NewAccountPrincipal(p.ScannerAccountID).WithConditions(&map[string]interface{}{
			"StringEquals": map[string]interface{}{"sts:ExternalId": p.ExternalID},
			"ArnLike":      map[string]interface{}{"aws:PrincipalArn": scannerRoles},
		}),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})
	functions := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":lambda:*:"), stack.Account(), jsii.String(":function:*")})
	layers := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":lambda:*:*:layer:*:*")})
	role.AddToPolicy(stmt([]string{"lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:ListTags"}, []*string{functions}, nil))
	role.AddToPolicy(stmt([]string{"lambda:GetLayerVersion"}, []*string{layers}, nil))
	role.AddToPolicy(stmt([]string{"lambda:TagResource"}, []*string{functions},
		map[string]interface{}{"ForAllValues:StringEquals": map[string]interface{}{"aws:TagKeys": contract.TagKeys}}))
	role.AddToPolicy(stmt([]string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, []*string{
		awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":ecr:*:"), stack.Account(), jsii.String(":repository/*")})}, nil))
	// ListFunctions and GetAuthorizationToken have no resource-level permissions.
	role.AddToPolicy(stmt([]string{"lambda:ListFunctions", "tag:GetResources", "ecr:GetAuthorizationToken"}, []*string{jsii.String("*")}, nil))
	return role
}
