// Package awsclient is the one way the steps and the CLI build AWS clients.
// LAMBDASCAN_AWS_ENDPOINT points every client at one endpoint (the local
// stack's moto server); unset, the SDK's normal resolution applies.
package awsclient

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	lsconfig "github.com/lambdascan/lambdascan/shared/config"
)

// EndpointEnv names the endpoint override.
const EndpointEnv = lsconfig.EndpointEnv

// Clients holds one client per service, built from one configuration.
type Clients struct {
	Config     aws.Config
	Endpoint   string
	S3         *s3.Client
	DynamoDB   *dynamodb.Client
	Lambda     *lambda.Client
	SNS        *sns.Client
	CloudWatch *cloudwatch.Client
	STS        *sts.Client
	SFN        *sfn.Client
}

// Load reads the default AWS configuration (environment, shared files,
// the Lambda execution role) and builds the clients.
func Load(ctx context.Context) (*Clients, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(5))
	if err != nil {
		return nil, err
	}
	return New(cfg, os.Getenv(EndpointEnv)), nil
}

// New builds the clients from cfg, all pointed at endpoint when it is set.
func New(cfg aws.Config, endpoint string) *Clients {
	var base *string
	if endpoint != "" {
		base = aws.String(endpoint)
	}
	return &Clients{
		Config:   cfg,
		Endpoint: endpoint,
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.BaseEndpoint = base
			o.UsePathStyle = base != nil // local endpoints have no bucket DNS
		}),
		DynamoDB: dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = base }),
		Lambda:   lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = base }),
		SNS:      sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = base }),
		CloudWatch: cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
			o.BaseEndpoint = base
			if base != nil {
				// CloudWatch's SDK speaks rpcv2 CBOR; local emulators speak query.
				o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
			}
		}),
		STS: sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = base }),
		SFN: sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = base }),
	}
}
