package cache

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
)

// Open is the stack's cache table as cfg names it (no call is made).
func Open(env awsclient.Env, cfg config.Config) *Table {
	ddb := dynamodb.NewFromConfig(env.Config, func(o *dynamodb.Options) { o.BaseEndpoint = env.Base() })
	return &Table{DDB: ddb, Name: cfg.CacheTable, TTL: cfg.CacheTTL}
}

// Pacer paces calls per account and region.
type Pacer interface {
	Wait(ctx context.Context, account, region string) error
}

// ControlPlane paces every Lambda control-plane call but GetFunction, per
// account/region across all concurrent steps.
func (t *Table) ControlPlane(rps float64) *RateLimit {
	return &RateLimit{Table: t, RPS: rps, Burst: 1}
}

// GetFunctionPace paces GetFunction, which has a limit of its own.
func (t *Table) GetFunctionPace(rps float64) *RateLimit {
	return &RateLimit{Table: t, RPS: rps, Burst: 5, Scope: "GetFunction#"}
}
