package scanflow

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func scans() int { return env.Stack.Invocations(localstack.FunctionName(contract.StepScan)) }

// Unchanged code is a cache hit; new code, and a layer-only change (which
// keeps CodeSha256), rescan.
func TestCacheHitsAndRescans(t *testing.T) {
	ctx := context.Background()
	layer, err := env.PublishLayer(ctx, "yaml", pkg("layer-python-yaml.zip"))
	require.NoError(t, err)
	fn, err := env.CreateFunction(ctx, "billing", pkg("python-requirements.zip"), "python3.11", nil, nil)
	require.NoError(t, err)

	before := scans()
	o, _ := run(t, "CreateFunction20150331", fn)
	require.Equal(t, "scanned", o.Outcome)
	assert.Equal(t, before+1, scans())

	o, _ = run(t, "UpdateFunctionConfiguration20150331v2", fn)
	assert.Equal(t, "cache-hit", o.Outcome, "nothing changed")
	assert.Equal(t, before+1, scans(), "a cache hit does not scan")

	require.NoError(t, env.SetLayers(ctx, "billing", []string{layer}))
	o, _ = run(t, "UpdateFunctionConfiguration20150331v2", fn)
	assert.Equal(t, "scanned", o.Outcome, "a layer-only change rescans")
	assert.Equal(t, before+2, scans())
	var withLayer struct {
		Packages []struct {
			Name   string `json:"name"`
			Origin struct {
				Kind  string `json:"kind"`
				Layer string `json:"layer"`
			} `json:"origin"`
		} `json:"packages"`
	}
	getJSON(t, o.Stored.ReportKey, &withLayer)
	var layerPkgs int
	for _, p := range withLayer.Packages {
		if p.Origin.Kind == "layer" {
			layerPkgs++
			assert.Equal(t, layer, p.Origin.Layer)
		}
	}
	assert.Equal(t, 1, layerPkgs, "PyYAML from the layer, attributed to its ARN")

	require.NoError(t, env.UpdateCode(ctx, "billing", pkg("node-api.zip")))
	o, _ = run(t, "UpdateFunctionCode20150331v2", fn)
	assert.Equal(t, "scanned", o.Outcome, "new code rescans")
	assert.Equal(t, before+3, scans())

	o, _ = run(t, "UpdateFunctionCode20150331v2", fn)
	assert.Equal(t, "cache-hit", o.Outcome)
}
