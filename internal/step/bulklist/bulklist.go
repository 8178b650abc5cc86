// Package bulklist is the bulk workflow's list step: it lists the run's
// functions (accounts, regions, organization) into bulk/<run>/items.json
// for the Distributed Map.
package bulklist

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/awsclient/member"
	"github.com/lambdascan/lambdascan/shared/bulk"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// Handler lists functions.
type Handler struct {
	Config  config.Config
	S3      awsclient.S3API
	Clients bulk.Clients
	Pace    *cache.RateLimit
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	sessions := member.New(env, cfg)
	return &Handler{Config: cfg, S3: env.S3(), Pace: cache.Open(env, cfg).ControlPlane(cfg.ControlPlaneRPS), Clients: clients{
		env:      env,
		sessions: sessions,
		lambda: member.NewClients(sessions, func(c aws.Config) *lambda.Client {
			return lambda.NewFromConfig(c, func(o *lambda.Options) { o.BaseEndpoint = env.Base() })
		}),
	}}
}

// clients is bulk.Clients: member accounts through their role.
type clients struct {
	env      awsclient.Env
	sessions *member.Sessions
	lambda   *member.Clients[*lambda.Client]
}

func (c clients) Lambda(ctx context.Context, account, region string) (*lambda.Client, error) {
	return c.lambda.For(ctx, account, region)
}

func (c clients) Tagging(ctx context.Context, account, region string) (*resourcegroupstaggingapi.Client, error) {
	cfg, err := c.sessions.Config(ctx, account, region)
	if err != nil {
		return nil, err
	}
	return resourcegroupstaggingapi.NewFromConfig(cfg, func(o *resourcegroupstaggingapi.Options) { o.BaseEndpoint = c.env.Base() }), nil
}

func (c clients) Organizations(ctx context.Context) (*organizations.Client, error) {
	return organizations.NewFromConfig(c.env.Config, func(o *organizations.Options) { o.BaseEndpoint = c.env.Base() }), nil
}

// Handle lists the run's functions into bulk/<run>/items.json.
func (h *Handler) Handle(ctx context.Context, in bulk.ListInput) (bulk.Listing, error) {
	c := h.Config
	lim := &bulk.Limiters{RPS: c.ControlPlaneRPS, Shared: h.Pace}
	e := &bulk.Enumerator{Clients: h.Clients, Limits: lim, SelfFunctions: c.SelfFunctions, SelfTag: c.SelfTagKey,
		Account: c.Account, DefaultRegions: c.Regions}
	items, stats, err := e.Enumerate(ctx, in.Request)
	if err != nil {
		return bulk.Listing{}, awsclient.Classify("enumerate functions", err)
	}
	if items == nil {
		items = []bulk.Item{}
	}
	body, err := json.Marshal(items)
	if err != nil {
		return bulk.Listing{}, err
	}
	key := contract.BulkItemsKey(in.RunID)
	if err := awsclient.PutBytes(ctx, h.S3, c.Bucket, key, body); err != nil {
		return bulk.Listing{}, err
	}
	return bulk.Listing{Bucket: c.Bucket, Key: key, Count: len(items), Stats: stats, Rates: lim.Rates(),
		MaxConcurrency: c.BulkMaxConcurrency, Tolerated: c.BulkToleratedFailurePercent}, nil
}
