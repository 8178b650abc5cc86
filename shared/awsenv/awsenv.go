// Package awsenv builds the CLI's AWS configuration from credentials in the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
// AWS_REGION: `eval "$(aws configure export-credentials --format env)"`).
// The SDK's full configuration loader (profiles, SSO) is left out on
// purpose: every package linked into `lambdascan` costs each scan start-up
// time and memory. The scanner's Lambdas use package awsclient instead.
package awsenv

import (
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/lambdascan/lambdascan/shared/config"
)

// Config is the configuration for region (AWS_REGION when empty) and the
// endpoint override (LAMBDASCAN_AWS_ENDPOINT: a local stack), if any.
func Config(region string) (aws.Config, string, error) {
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || key == "" || secret == "" {
		return aws.Config{}, "", fmt.Errorf("set AWS_REGION and credentials in the environment (eval \"$(aws configure export-credentials --format env)\")")
	}
	cfg := aws.Config{Region: region, RetryMaxAttempts: 5,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, os.Getenv("AWS_SESSION_TOKEN"))}
	return cfg, os.Getenv(config.EndpointEnv), nil
}
