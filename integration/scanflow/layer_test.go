package scanflow

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report"
)

// A layer version is inventoried once and its inventory cached for good;
// every function using it merges the cached packages, attributed to the
// layer's ARN. (The test marks the cached copy to see it is the one read.)
func TestLayerInventoryCachedByVersion(t *testing.T) {
	ctx := context.Background()
	layer, err := env.PublishLayer(ctx, "shared-yaml", pkg("layer-python-yaml.zip"))
	require.NoError(t, err)
	fn1, err := env.CreateFunction(ctx, "uses-layer-1", pkg("python-requirements.zip"), "python3.11", []string{layer}, nil)
	require.NoError(t, err)
	o, _ := run(t, "CreateFunction20150331", fn1)
	require.Equal(t, "scanned", o.Outcome)

	key := contract.LayerInventoryKey(layer, inventory.Version)
	var cached inventory.Result
	getJSON(t, key, &cached)
	require.Len(t, cached.Packages, 1)
	assert.Equal(t, layer, cached.Packages[0].Origin.Layer)

	marker := cached.Packages[0]
	marker.Name, marker.PURL = "cache-marker", "pkg:pypi/cache-marker@"+marker.Version
	cached.Packages = append(cached.Packages, marker)
	b, err := json.Marshal(cached)
	require.NoError(t, err)
	_, err = env.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(localstack.Bucket), Key: aws.String(key), Body: bytes.NewReader(b)})
	require.NoError(t, err)

	fn2, err := env.CreateFunction(ctx, "uses-layer-2", pkg("node-api.zip"), "nodejs20.x", []string{layer}, nil)
	require.NoError(t, err)
	o, _ = run(t, "CreateFunction20150331", fn2)
	require.Equal(t, "scanned", o.Outcome)
	var r report.Report
	getJSON(t, o.Stored.ReportKey, &r)
	byName := map[string]inventory.Package{}
	var fromCode int
	for _, p := range r.Packages {
		byName[p.Name] = p
		if p.Origin.Kind == inventory.OriginFunction {
			fromCode++
		}
	}
	require.Contains(t, byName, "cache-marker", "the layer's cached inventory was used")
	assert.Equal(t, inventory.OriginLayer, byName["PyYAML"].Origin.Kind)
	assert.Equal(t, layer, byName["PyYAML"].Origin.Layer)
	assert.Positive(t, fromCode, "the function's own packages merged with the layer's")
	require.Len(t, r.Target.Layers, 1)
	assert.Equal(t, layer, r.Target.Layers[0].ARN)
}
