package step_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// The errorType Lambda reports is the error's own name: what Step Functions
// routes on and store writes into the report.
func TestNamedErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string // "": not a named error, the runtime's own naming applies
	}{
		{&contract.ScanFailed{Name: schema.ErrCorruptPackage, Message: "zip: not a valid zip file"}, "CorruptPackage"},
		{&contract.ScanFailed{Name: schema.ErrCodeTooLarge, Message: "code larger than 1073741824 bytes"}, "CodeTooLarge"},
		{&contract.TransientError{Op: "GetFunction", Err: errors.New("503")}, "TransientError"},
		{&contract.FunctionNotFound{FunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:gone"}, "FunctionNotFound"},
		{&contract.InvalidEvent{Reason: "no function"}, "InvalidEvent"},
		{&contract.VulnDBMissing{}, "VulnDBMissing"},
		{errors.New("plain"), ""},
	} {
		h := step.Named(lambda.NewHandler(func(context.Context, struct{}) (struct{}, error) { return struct{}{}, tc.err }))
		_, err := h.Invoke(context.Background(), []byte("{}"))
		require.Error(t, err)
		var ire messages.InvokeResponse_Error
		if tc.want == "" {
			assert.False(t, errors.As(err, &ire))
			continue
		}
		require.ErrorAs(t, err, &ire)
		assert.Equal(t, tc.want, ire.Type)
		assert.Equal(t, tc.err.Error(), ire.Message)
	}
}
