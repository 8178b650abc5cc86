package selfskip_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/internal/step/selfskip"
	"github.com/lambdascan/lambdascan/internal/step/steptest"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

type fakeLambda struct {
	tags  map[string]string
	err   error
	calls int
}

func (f *fakeLambda) ListTags(_ context.Context, _ *lambda.ListTagsInput, _ ...func(*lambda.Options)) (*lambda.ListTagsOutput, error) {
	f.calls++
	return &lambda.ListTagsOutput{Tags: f.tags}, f.err
}

func TestSelfSkip(t *testing.T) {
	for _, tc := range []struct {
		name, state string
		tags        map[string]string
		err         error
		skip        bool
		calls       int
		notFound    bool
		account     string // the scanner's account, when not the target's
	}{
		{name: "by name", state: "target-own-function", skip: true},
		{name: "by tag", state: "target", tags: map[string]string{config.SelfTagKey: "scan"}, skip: true, calls: 1},
		{name: "not ours", state: "target", tags: map[string]string{"team": "orders"}, calls: 1},
		{name: "bulk item checked already", state: "target-bulk-item"},
		{name: "deleted", state: "target", err: &smithy.GenericAPIError{Code: "ResourceNotFoundException"}, calls: 1, notFound: true},
		// A member account's function carrying our tag is scanned: an owner
		// cannot opt out by tagging it as the scanner's.
		{name: "member account's tag", state: "target", tags: map[string]string{config.SelfTagKey: "scan"}, account: "210987654321"},
		{name: "member account's function of our name", state: "target-own-function", account: "210987654321"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fl := &fakeLambda{tags: tc.tags, err: tc.err}
			account := tc.account
			if account == "" {
				account = "123456789012"
			}
			h := &selfskip.Handler{Account: account, SelfFunctions: []string{contract.FunctionName(contract.StepScan)}, SelfTagKey: config.SelfTagKey,
				Pace: &cache.RateLimit{}, Lambda: func(context.Context, string, string) (selfskip.LambdaAPI, error) { return fl, nil }}
			var in contract.Target
			steptest.Decode(t, tc.state, &in)
			out, err := h.Handle(context.Background(), in)
			assert.Equal(t, tc.calls, fl.calls, "ListTags only when the name does not tell")
			if tc.notFound {
				var nf *contract.FunctionNotFound
				require.ErrorAs(t, err, &nf)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.skip, out.Skip)
		})
	}
}
