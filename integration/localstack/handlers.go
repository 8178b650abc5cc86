package localstack

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambdascan/lambdascan/internal/step/bulklist"
	"github.com/lambdascan/lambdascan/internal/step/bulkreport"
	"github.com/lambdascan/lambdascan/internal/step/cachecheck"
	"github.com/lambdascan/lambdascan/internal/step/fetch"
	"github.com/lambdascan/lambdascan/internal/step/metrics"
	"github.com/lambdascan/lambdascan/internal/step/mirror"
	"github.com/lambdascan/lambdascan/internal/step/notify"
	"github.com/lambdascan/lambdascan/internal/step/scan"
	"github.com/lambdascan/lambdascan/internal/step/selfskip"
	"github.com/lambdascan/lambdascan/internal/step/store"
	"github.com/lambdascan/lambdascan/internal/step/tag"
	"github.com/lambdascan/lambdascan/internal/step/validate"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// Clients are SDK clients for the local stack's checks, all pointed at one
// endpoint. The steps build their own (each only what it calls).
type Clients struct {
	awsclient.Env
	S3         *s3.Client
	DynamoDB   *dynamodb.Client
	Lambda     *lambda.Client
	SNS        *sns.Client
	CloudWatch *cloudwatch.Client
	STS        *sts.Client
	SFN        *sfn.Client
}

// NewClients builds the clients from cfg, pointed at endpoint.
func NewClients(cfg aws.Config, endpoint string) *Clients {
	e := awsclient.Env{Config: cfg, Endpoint: endpoint}
	return &Clients{
		Env:        e,
		S3:         e.S3(),
		DynamoDB:   dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = e.Base() }),
		Lambda:     lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = e.Base() }),
		SNS:        sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = e.Base() }),
		CloudWatch: metrics.Client(e),
		STS:        sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = e.Base() }),
		SFN:        sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = e.Base() }),
	}
}

// Handler builds a step's handler as its Lambda's main does (steps/<name>),
// with now as its clock when set.
func Handler(name string, cfg config.Config, env awsclient.Env, now func() time.Time) (any, error) {
	switch name {
	case contract.StepValidate:
		return validate.New(cfg, env).Handle, nil
	case contract.StepSelfSkip:
		return selfskip.New(cfg, env).Handle, nil
	case contract.StepCacheCheck:
		h := cachecheck.New(cfg, env)
		if now != nil {
			h.Now, h.Cache.Now = now, now
		}
		return h.Handle, nil
	case contract.StepFetch:
		h := fetch.New(cfg, env)
		if now != nil {
			h.Now, h.Cache.Now = now, now
		}
		return h.Handle, nil
	case contract.StepScan:
		h := scan.New(cfg, env)
		if now != nil {
			h.Now = now
		}
		return h.Handle, nil
	case contract.StepStore:
		h := store.New(cfg, env)
		if now != nil {
			h.Now, h.Cache.Now = now, now
		}
		return h.Handle, nil
	case contract.StepTag:
		h := tag.New(cfg, env)
		if now != nil {
			h.Now = now
		}
		return h.Handle, nil
	case contract.StepMetrics:
		return metrics.New(cfg, env).Handle, nil
	case contract.StepNotify:
		return notify.New(cfg, env).Handle, nil
	case contract.StepMirror:
		h := mirror.New(cfg, env)
		if now != nil {
			h.Now = now
		}
		return h.Handle, nil
	case contract.StepBulkList:
		return bulklist.New(cfg, env).Handle, nil
	case contract.StepBulkReport:
		return bulkreport.New(cfg, env).Handle, nil
	}
	return nil, fmt.Errorf("localstack: no step %q", name)
}
