// Package workflow holds the handlers of the scan state machine's Task
// states, one file per step. Each steps/<step>/main.go starts one of them;
// the local stack runs the same handlers in-process.
package workflow

import (
	"context"
	"time"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/vulndbstore"
)

// Deps is what the handlers share: configuration, clients, the cache table
// and the vuln index store. One per Lambda container.
type Deps struct {
	Config  config.Config
	AWS     *awsclient.Clients
	Cache   *cache.Table
	VulnDB  *vulndbstore.Store
	Now     func() time.Time
	Fetcher Downloader
	// Pace paces Lambda control-plane calls per account/region across
	// every concurrent step (a token bucket in the cache table).
	Pace *cache.RateLimit
	// GetFunctionPace paces GetFunction, which has a limit of its own.
	GetFunctionPace *cache.RateLimit

	accounts accounts
}

// NewDeps wires the dependencies from a configuration and clients.
func NewDeps(cfg config.Config, clients *awsclient.Clients) *Deps {
	d := &Deps{Config: cfg, AWS: clients, Now: time.Now}
	d.Cache = &cache.Table{DDB: clients.DynamoDB, Name: cfg.CacheTable, TTL: cfg.CacheTTL, Now: d.now}
	d.VulnDB = &vulndbstore.Store{S3: clients.S3, Bucket: cfg.Bucket, TmpDir: cfg.TmpDir}
	d.Fetcher = HTTPDownloader{}
	d.Pace = &cache.RateLimit{Table: d.Cache, RPS: cfg.ControlPlaneRPS, Burst: 1}
	d.GetFunctionPace = &cache.RateLimit{Table: d.Cache, RPS: cfg.GetFunctionRPS, Burst: 5, Scope: "GetFunction#"}
	return d
}

// FromEnv builds Deps the way a step Lambda does at init.
func FromEnv(ctx context.Context) (*Deps, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	clients, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	return NewDeps(cfg, clients), nil
}

func (d *Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}
