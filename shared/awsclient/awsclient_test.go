package awsclient_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/internal/step/steptest"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func TestJSONRoundTrip(t *testing.T) {
	s3 := &steptest.S3{}
	ctx := context.Background()
	want := contract.Stored{ReportKey: "reports/a.json", LatestKey: "reports/latest.json", Status: "complete"}
	require.NoError(t, awsclient.PutJSON(ctx, s3, "b", "k.json", want))
	var got contract.Stored
	require.NoError(t, awsclient.GetJSON(ctx, s3, "b", "k.json", &got))
	assert.Equal(t, want, got)

	err := awsclient.GetJSON(ctx, s3, "b", "missing.json", &got)
	assert.True(t, awsclient.IsNotFound(err), "a missing object stays recognisable")

	s3.Put("b", "bad.json", []byte("{"))
	err = awsclient.GetJSON(ctx, s3, "b", "bad.json", &got)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad.json")
}

func TestClassify(t *testing.T) {
	for code, transient := range map[string]bool{
		"ThrottlingException": true, "TooManyRequestsException": true, "SlowDown": true, "ServiceUnavailable": true,
		"AccessDeniedException": false, "ResourceNotFoundException": false,
	} {
		err := awsclient.Classify("op", &smithy.GenericAPIError{Code: code})
		var tr *contract.TransientError
		assert.Equal(t, transient, errors.As(err, &tr), code)
	}
	assert.NoError(t, awsclient.Classify("op", nil))
}
