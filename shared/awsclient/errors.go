package awsclient

import (
	"context"
	"errors"
	"net"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/lambdascan/lambdascan/shared/contract"
)

// transientCodes are the API errors worth retrying (after the SDK's own
// retries): throttling of the shared control plane, server-side trouble.
var transientCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "TooManyRequestsException": true,
	"RequestLimitExceeded": true, "SlowDown": true, "ServiceUnavailable": true,
	"InternalError": true, "InternalFailure": true, "ServiceException": true,
	"ProvisionedThroughputExceededException": true, "RequestTimeout": true,
}

// Classify wraps errors the workflow should retry as *contract.TransientError
// (the ASL retries that name); other errors pass through.
func Classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var api smithy.APIError
	if errors.As(err, &api) && transientCodes[api.ErrorCode()] {
		return &contract.TransientError{Op: op, Err: err}
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		return &contract.TransientError{Op: op, Err: err}
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return &contract.TransientError{Op: op, Err: err}
	}
	return err
}

// IsNotFound reports a missing resource (function, object, item).
func IsNotFound(err error) bool {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return false
	}
	switch api.ErrorCode() {
	case "ResourceNotFoundException", "NoSuchKey", "NotFound", "NoSuchBucket":
		return true
	}
	return false
}
