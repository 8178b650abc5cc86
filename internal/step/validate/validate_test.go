package validate_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/internal/step/steptest"
	"github.com/lambdascan/lambdascan/internal/step/validate"
	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func TestValidate(t *testing.T) {
	h := &validate.Handler{Home: arn.Function{Partition: "aws", Region: "eu-west-1", Account: "123456789012"}}
	for _, tc := range []struct {
		state, arn, qualifier, trigger string
		force                          bool
		invalid                        bool
	}{
		{state: "cloudtrail-create-function", arn: "arn:aws:lambda:eu-west-1:123456789012:function:thumbnailer", trigger: "CreateFunction20150331"},
		{state: "direct", arn: "arn:aws:lambda:eu-west-1:123456789012:function:orders", qualifier: "live", trigger: contract.TriggerDirect},
		{state: "direct-name", arn: "arn:aws:lambda:eu-west-1:123456789012:function:orders", trigger: contract.TriggerDirect, force: true},
		{state: "cloudtrail-create-function-failed", invalid: true},
		{state: "record-failed", invalid: true},
	} {
		t.Run(tc.state, func(t *testing.T) {
			got, err := h.Handle(context.Background(), steptest.State(t, tc.state))
			if tc.invalid {
				var inv *contract.InvalidEvent
				require.ErrorAs(t, err, &inv)
				assert.Equal(t, "InvalidEvent", inv.ErrorType(), "the ASL ends it as invalid by this name")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.arn, got.FunctionARN)
			assert.Equal(t, tc.qualifier, got.Qualifier)
			assert.Equal(t, tc.trigger, got.Trigger)
			assert.Equal(t, tc.force, got.Force)
			assert.Equal(t, "123456789012", got.Account)
		})
	}
}
