// Package tag is the scan workflow's Tag step: it writes the outcome on the
// function — LambdaScanStatus (complete|partial|failed),
// LambdaScanTimestamp and LambdaScanFindings ("C2-H5-M1-L0-U3-K1": counts
// per severity, unknown included, and of KEV findings; see
// schema.FindingsTag). Our
// TagResource calls are CloudTrail events too; the EventBridge rule does
// not listen for them.
package tag

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/awsclient/member"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// LambdaAPI is the Lambda call this step makes.
type LambdaAPI interface {
	TagResource(context.Context, *lambda.TagResourceInput, ...func(*lambda.Options)) (*lambda.TagResourceOutput, error)
}

// Handler tags functions.
type Handler struct {
	Enabled bool
	Lambda  func(ctx context.Context, account, region string) (LambdaAPI, error)
	Pace    cache.Pacer
	Now     func() time.Time
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	clients := member.NewClients(member.New(env, cfg), func(c aws.Config) LambdaAPI {
		return lambda.NewFromConfig(c, func(o *lambda.Options) { o.BaseEndpoint = env.Base() })
	})
	return &Handler{Enabled: cfg.EnableTagging, Lambda: clients.For, Pace: cache.Open(env, cfg).ControlPlane(cfg.ControlPlaneRPS), Now: time.Now}
}

// Handle tags the target with the outcome.
func (h *Handler) Handle(ctx context.Context, in contract.RecordInput) (contract.Tagged, error) {
	if !h.Enabled || in.Target.TagMode == contract.TagModeNone || in.Stored != nil && in.Stored.Superseded {
		return contract.Tagged{}, nil
	}
	tags := map[string]string{contract.TagStatus: "failed", contract.TagTimestamp: in.At(h.Now()).Format("2006-01-02T15:04:05Z")}
	if in.Summary != nil && in.Error == nil {
		// A failed attempt leaves the last known findings in place: a
		// throttled step must not make a vulnerable function look clean.
		tags[contract.TagStatus] = in.Summary.Status
		tags[contract.TagFindings] = schema.FindingsTag(in.Summary.BySeverity, in.Summary.KEV)
	}
	if in.Target.TagMode == contract.TagModeChanged && in.Fetched != nil &&
		tags[contract.TagStatus] == in.Fetched.Tags[contract.TagStatus] && tags[contract.TagFindings] == in.Fetched.Tags[contract.TagFindings] {
		// Same outcome as the tags already say: a bulk run spends the 15 rps
		// control plane only on changes (LambdaScanTimestamp then dates the
		// outcome, not the latest scan; latest.json has that).
		return contract.Tagged{Unchanged: true}, nil
	}
	lc, err := h.Lambda(ctx, in.Target.Account, in.Target.Region)
	if err != nil {
		return contract.Tagged{}, err
	}
	if err := h.Pace.Wait(ctx, in.Target.Account, in.Target.Region); err != nil {
		return contract.Tagged{}, err
	}
	if _, err := lc.TagResource(ctx, &lambda.TagResourceInput{Resource: &in.Target.FunctionARN, Tags: tags}); err != nil {
		if awsclient.IsNotFound(err) {
			return contract.Tagged{}, nil // deleted since: nothing to tag
		}
		return contract.Tagged{}, awsclient.Classify("TagResource", err)
	}
	return contract.Tagged{Tagged: true, Tags: tags}, nil
}
