package workflow

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// SelfSkip stops the scanner from scanning its own functions: they are named
// in the stack's configuration and carry the stack's tag.
func (d *Deps) SelfSkip(ctx context.Context, t contract.Target) (contract.Skip, error) {
	if slices.Contains(d.Config.SelfFunctions, t.Name) {
		return contract.Skip{Skip: true, Reason: "the scanner's own function (stack configuration)"}, nil
	}
	if t.SelfChecked {
		return contract.Skip{}, nil // the bulk run excluded them by name and tag already
	}
	lc, err := d.lambdaFor(ctx, t.Account, t.Region)
	if err != nil {
		return contract.Skip{}, err
	}
	if err := d.Pace.Wait(ctx, t.Account, t.Region); err != nil {
		return contract.Skip{}, err
	}
	out, err := lc.ListTags(ctx, &lambda.ListTagsInput{Resource: &t.FunctionARN})
	if err != nil {
		if awsclient.IsNotFound(err) {
			return contract.Skip{}, &contract.FunctionNotFound{FunctionARN: t.FunctionARN}
		}
		return contract.Skip{}, awsclient.Classify("ListTags", err)
	}
	if _, ok := out.Tags[d.Config.SelfTagKey]; ok {
		return contract.Skip{Skip: true, Reason: "the scanner's own function (tag " + d.Config.SelfTagKey + ")"}, nil
	}
	return contract.Skip{}, nil
}
