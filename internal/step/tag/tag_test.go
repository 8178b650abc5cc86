package tag_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/internal/step/steptest"
	"github.com/lambdascan/lambdascan/internal/step/tag"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// fakeLambda records TagResource calls as Lambda would apply them.
type fakeLambda struct {
	calls []*lambda.TagResourceInput
	err   error
}

func (f *fakeLambda) TagResource(_ context.Context, in *lambda.TagResourceInput, _ ...func(*lambda.Options)) (*lambda.TagResourceOutput, error) {
	f.calls = append(f.calls, in)
	return &lambda.TagResourceOutput{}, f.err
}

func TestTag(t *testing.T) {
	for _, tc := range []struct {
		state     string
		disabled  bool
		lambdaErr error
		want      map[string]string // nil: no TagResource call
		out       contract.Tagged
	}{
		{state: "tag-scanned", want: map[string]string{contract.TagStatus: "partial", contract.TagFindings: "C1-H2-M2-L0-U0-K0", contract.TagTimestamp: "2026-11-20T09:15:02Z"}},
		{state: "record-failed", want: map[string]string{contract.TagStatus: "failed", contract.TagTimestamp: "2026-11-20T09:20:11Z"}},
		{state: "tag-bulk-unchanged", out: contract.Tagged{Unchanged: true}},
		{state: "tag-bulk-changed", want: map[string]string{contract.TagStatus: "partial", contract.TagFindings: "C1-H2-M2-L0-U0-K0", contract.TagTimestamp: "2026-11-20T09:15:02Z"}},
		{state: "tag-no-tags"},
		{state: "tag-scanned", disabled: true},
		{state: "tag-scanned", lambdaErr: &smithy.GenericAPIError{Code: "ResourceNotFoundException"},
			want: map[string]string{contract.TagStatus: "partial", contract.TagFindings: "C1-H2-M2-L0-U0-K0", contract.TagTimestamp: "2026-11-20T09:15:02Z"}},
	} {
		t.Run(tc.state, func(t *testing.T) {
			fl := &fakeLambda{err: tc.lambdaErr}
			h := &tag.Handler{Enabled: !tc.disabled, Now: time.Now, Pace: &cache.RateLimit{},
				Lambda: func(_ context.Context, account, region string) (tag.LambdaAPI, error) {
					assert.Equal(t, "123456789012", account)
					assert.Equal(t, "eu-west-1", region)
					return fl, nil
				}}
			var in contract.RecordInput
			steptest.Decode(t, tc.state, &in)
			out, err := h.Handle(context.Background(), in)
			require.NoError(t, err, "a function deleted since is not an error")
			if tc.want == nil {
				assert.Empty(t, fl.calls)
				assert.Equal(t, tc.out, out)
				return
			}
			require.Len(t, fl.calls, 1)
			assert.Equal(t, in.Target.FunctionARN, *fl.calls[0].Resource)
			assert.Equal(t, tc.want, fl.calls[0].Tags, "a failed attempt leaves the last findings in place")
			assert.Equal(t, tc.lambdaErr == nil, out.Tagged)
		})
	}
}

func TestTagThrottledIsTransient(t *testing.T) {
	fl := &fakeLambda{err: &smithy.GenericAPIError{Code: "TooManyRequestsException"}}
	h := &tag.Handler{Enabled: true, Now: time.Now, Pace: &cache.RateLimit{}, Lambda: func(context.Context, string, string) (tag.LambdaAPI, error) { return fl, nil }}
	var in contract.RecordInput
	steptest.Decode(t, "tag-scanned", &in)
	_, err := h.Handle(context.Background(), in)
	var tr *contract.TransientError
	require.ErrorAs(t, err, &tr)
	assert.Equal(t, "TransientError", tr.ErrorType())
}
