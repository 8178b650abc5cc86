// Package selfskip is the scan workflow's SelfSkip step: the scanner does
// not scan its own functions, which the stack's configuration names and
// the stack's tag marks — in the scanner's own account only: a member
// account cannot opt a function out by naming or tagging it so.
package selfskip

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/awsclient/member"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// LambdaAPI is the Lambda call this step makes.
type LambdaAPI interface {
	ListTags(context.Context, *lambda.ListTagsInput, ...func(*lambda.Options)) (*lambda.ListTagsOutput, error)
}

// Handler checks targets against the scanner's own functions.
type Handler struct {
	Account       string // the scanner's account: the only one holding its functions
	SelfFunctions []string
	SelfTagKey    string
	// Lambda gives the client for a function's account and region.
	Lambda func(ctx context.Context, account, region string) (LambdaAPI, error)
	Pace   cache.Pacer
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	clients := member.NewClients(member.New(env, cfg), func(c aws.Config) LambdaAPI {
		return lambda.NewFromConfig(c, func(o *lambda.Options) { o.BaseEndpoint = env.Base() })
	})
	return &Handler{Account: cfg.Account, SelfFunctions: cfg.SelfFunctions, SelfTagKey: cfg.SelfTagKey, Lambda: clients.For,
		Pace: cache.Open(env, cfg).ControlPlane(cfg.ControlPlaneRPS)}
}

// Handle says whether t is one of the scanner's own functions.
func (h *Handler) Handle(ctx context.Context, t contract.Target) (contract.Skip, error) {
	if t.Account != h.Account {
		return contract.Skip{}, nil
	}
	if slices.Contains(h.SelfFunctions, t.Name) {
		return contract.Skip{Skip: true, Reason: "the scanner's own function (stack configuration)"}, nil
	}
	if t.SelfChecked {
		return contract.Skip{}, nil // the bulk run excluded them by name and tag already
	}
	lc, err := h.Lambda(ctx, t.Account, t.Region)
	if err != nil {
		return contract.Skip{}, err
	}
	if err := h.Pace.Wait(ctx, t.Account, t.Region); err != nil {
		return contract.Skip{}, err
	}
	out, err := lc.ListTags(ctx, &lambda.ListTagsInput{Resource: &t.FunctionARN})
	if err != nil {
		if awsclient.IsNotFound(err) {
			return contract.Skip{}, &contract.FunctionNotFound{FunctionARN: t.FunctionARN}
		}
		return contract.Skip{}, awsclient.Classify("ListTags", err)
	}
	if _, ok := out.Tags[h.SelfTagKey]; ok {
		return contract.Skip{Skip: true, Reason: "the scanner's own function (tag " + h.SelfTagKey + ")"}, nil
	}
	return contract.Skip{}, nil
}
