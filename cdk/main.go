// Command cdk is the CDK app (cdk.json runs `go run ./cdk`): the scanner
// stack and the member-account stack, checked by cdk-nag's AwsSolutions pack.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/lambdascan/lambdascan/cdk/lambdascan"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	props, err := lambdascan.FromContext(app)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cdk:", err)
		os.Exit(1)
	}
	env := &awscdk.Environment{Account: jsii.String(os.Getenv("CDK_DEFAULT_ACCOUNT")), Region: jsii.String(os.Getenv("CDK_DEFAULT_REGION"))}
	if *env.Account == "" || *env.Region == "" {
		env = nil // environment-agnostic synth (offline, tests)
	}
	lambdascan.NewScannerStack(app, "LambdaScan", props, env)
	role := props.CrossAccountRoleName
	if role == "" {
		role = "lambdascan-member"
	}
	lambdascan.NewMemberStack(app, "LambdaScanMember", role, env)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{}), nil)
	app.Synth(nil)
}
