package store

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/report/schema"
)

func TestWithTargetKeepsTheRest(t *testing.T) {
	raw := `{"schema":"lambdascan.report/v1","target":{"kind":"function","function_arn":"arn:a"},"packages":[{"purl":"pkg:npm/x@1"}]}`
	out, err := withTarget([]byte(raw), schema.Target{Kind: schema.KindFunction, FunctionARN: "arn:b"})
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(out, &doc))
	assert.Equal(t, "arn:b", doc["target"].(map[string]any)["function_arn"])
	assert.Equal(t, "lambdascan.report/v1", doc["schema"])
	assert.Len(t, doc["packages"], 1)
	_, err = withTarget([]byte(`[1]`), schema.Target{})
	assert.Error(t, err)
}
