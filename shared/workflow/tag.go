package workflow

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// Tag keys the scanner writes (the CDK role may tag only these).
const (
	TagStatus    = "LambdaScanStatus"
	TagTimestamp = "LambdaScanTimestamp"
	TagFindings  = "LambdaScanFindings"
)

// Tag writes the outcome on the function: LambdaScanStatus
// (complete|partial|failed), LambdaScanTimestamp and
// LambdaScanFindings ("C2-H5-M1-L0"). Our TagResource calls are
// CloudTrail events too; the EventBridge rule does not listen for them.
func (d *Deps) Tag(ctx context.Context, in contract.RecordInput) (contract.Tagged, error) {
	if !d.Config.EnableTagging || in.Target.TagMode == contract.TagModeNone {
		return contract.Tagged{}, nil
	}
	status := "failed"
	findings := "C0-H0-M0-L0"
	switch {
	case in.Summary != nil && in.Error == nil:
		status = in.Summary.Status
		s := in.Summary.BySeverity
		findings = fmt.Sprintf("C%d-H%d-M%d-L%d", s["critical"], s["high"], s["medium"], s["low"])
	}
	tags := map[string]string{TagStatus: status, TagTimestamp: d.startedAt(in).Format("2006-01-02T15:04:05Z")}
	if in.Summary != nil && in.Error == nil {
		// A failed attempt leaves the last known findings in place: a
		// throttled step must not make a vulnerable function look clean.
		tags[TagFindings] = findings
	}
	if in.Target.TagMode == contract.TagModeChanged && in.Fetched != nil &&
		tags[TagStatus] == in.Fetched.Tags[TagStatus] && tags[TagFindings] == in.Fetched.Tags[TagFindings] {
		// Same outcome as the tags already say: a bulk run spends the 15 rps
		// control plane only on changes (LambdaScanTimestamp then dates the
		// outcome, not the latest scan; latest.json has that).
		return contract.Tagged{Unchanged: true}, nil
	}
	lc, err := d.lambdaFor(ctx, in.Target.Account, in.Target.Region)
	if err != nil {
		return contract.Tagged{}, err
	}
	if err := d.Pace.Wait(ctx, in.Target.Account, in.Target.Region); err != nil {
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

// scanTags keeps the tags this step writes.
func scanTags(all map[string]string) map[string]string {
	var out map[string]string
	for _, k := range []string{TagStatus, TagTimestamp, TagFindings} {
		if v, ok := all[k]; ok {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}
