// Package cachecheck is the scan workflow's CacheCheck step: it decides
// whether a function needs a scan. A hit needs the same CodeSha256, sorted
// layer ARNs, runtime and package type, the current DB version, and an
// unexpired, successful cache item.
package cachecheck

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/awsclient/member"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/functioncode"
	"github.com/lambdascan/lambdascan/shared/vulndbstore"
)

// LambdaAPI is the Lambda call this step makes.
type LambdaAPI interface {
	GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
}

// Handler checks the cache.
type Handler struct {
	Lambda func(ctx context.Context, account, region string) (LambdaAPI, error)
	Pace   cache.Pacer
	Cache  *cache.Table
	VulnDB *vulndbstore.Store
	Now    func() time.Time
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	clients := member.NewClients(member.New(env, cfg), func(c aws.Config) LambdaAPI {
		return lambda.NewFromConfig(c, func(o *lambda.Options) { o.BaseEndpoint = env.Base() })
	})
	table := cache.Open(env, cfg)
	return &Handler{Lambda: clients.For, Pace: table.ControlPlane(cfg.ControlPlaneRPS), Cache: table,
		VulnDB: &vulndbstore.Store{S3: env.S3(), Bucket: cfg.Bucket, TmpDir: cfg.TmpDir}, Now: time.Now}
}

// Handle looks t up in the cache.
func (h *Handler) Handle(ctx context.Context, t contract.Target) (contract.CacheResult, error) {
	var code contract.Code
	if t.Listed != nil {
		code = *t.Listed // a bulk item: listed moments ago
	} else {
		var err error
		if code, err = h.functionCode(ctx, t); err != nil {
			return contract.CacheResult{}, err
		}
	}
	db, err := h.VulnDB.Current(ctx)
	if errors.Is(err, vulndbstore.ErrNoDB) {
		return contract.CacheResult{}, &contract.VulnDBMissing{}
	}
	if err != nil {
		return contract.CacheResult{}, err
	}
	res := contract.CacheResult{Code: code, DBVersion: db.Version}
	if t.Force {
		return res, nil
	}
	item, ok, err := h.Cache.GetFunction(ctx, t.FunctionARN)
	if err != nil {
		return contract.CacheResult{}, err
	}
	if ok && item.Hit(code, db.Version, h.Now()) {
		res.Hit, res.ReportKey, res.Status = true, item.ReportKey, item.Status
	}
	return res, nil
}

// functionCode reads what identifies the deployed code. A layer-only or
// runtime change keeps CodeSha256, so layers and runtime are part of it.
func (h *Handler) functionCode(ctx context.Context, t contract.Target) (contract.Code, error) {
	in := &lambda.GetFunctionConfigurationInput{FunctionName: &t.FunctionARN}
	if t.Qualifier != "" {
		in.Qualifier = aws.String(t.Qualifier)
	}
	lc, err := h.Lambda(ctx, t.Account, t.Region)
	if err != nil {
		return contract.Code{}, err
	}
	if err := h.Pace.Wait(ctx, t.Account, t.Region); err != nil {
		return contract.Code{}, err
	}
	out, err := lc.GetFunctionConfiguration(ctx, in)
	if err != nil {
		if awsclient.IsNotFound(err) {
			return contract.Code{}, &contract.FunctionNotFound{FunctionARN: t.FunctionARN}
		}
		return contract.Code{}, awsclient.Classify("GetFunctionConfiguration", err)
	}
	return functioncode.Identity(out.CodeSha256, out.Runtime, out.PackageType, out.Layers), nil
}
