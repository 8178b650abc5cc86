package scanflow

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Findings of unknown severity are never quieter than low ones: the tag
// counts them and SNS fires on them at the default notify severity (high).
// python-requirements has two PyPI findings whose records carry no rating
// (and this stack's index has no NVD feed).
func TestUnknownSeverityIsTaggedAndNotified(t *testing.T) {
	ctx := context.Background()
	fn, err := env.CreateFunction(ctx, "unrated-deps", pkg("python-requirements.zip"), "python3.12", nil, nil)
	require.NoError(t, err)
	o, _ := run(t, "CreateFunction20150331", fn)
	require.Equal(t, "scanned", o.Outcome)

	tags, err := env.AWS.Lambda.ListTags(ctx, &lambdasvc.ListTagsInput{Resource: aws.String(fn)})
	require.NoError(t, err)
	assert.Equal(t, "C0-H0-M0-L0-U2-K0", tags.Tags["LambdaScanFindings"])

	msgs := findingsMessages(t, "unrated-deps")
	require.Len(t, msgs, 1, "notified though nothing is rated high")
	assert.Equal(t, "unknown", msgs[0].attrs["maxSeverity"])
	assert.Equal(t, "0", msgs[0].attrs["kev"])
	assert.Equal(t, map[string]any{"critical": 0.0, "high": 0.0, "medium": 0.0, "low": 0.0, "unknown": 2.0}, msgs[0].body["bySeverity"])
}
