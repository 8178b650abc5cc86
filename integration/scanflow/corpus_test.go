package scanflow

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/internal/step/cachecheck"
	"github.com/lambdascan/lambdascan/internal/step/validate"
	"github.com/lambdascan/lambdascan/shared/report"
)

// The Node, Python and Go packages of ../shared/corpus through the whole
// workflow: every finding of the peer scanner lands in the stored report
// (json5 is the dev-only lockfile entry the accuracy check explains).
func TestCorpusThroughWorkflow(t *testing.T) {
	corpus := filepath.Join(filepath.Dir(osvSource()), "corpus")
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("corpus not present (%s): it runs whenever ../shared is beside the checkout", corpus)
	}
	ctx := context.Background()
	for _, c := range []struct{ name, runtime string }{
		{"node20-express-api", "nodejs20.x"}, {"python311-pip-target", "python3.11"}, {"go-al2023-arm64-gin", "provided.al2023"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fn, err := env.CreateFunction(ctx, "corpus-"+c.name, filepath.Join(corpus, c.name+".zip"), c.runtime, nil, nil)
			require.NoError(t, err)
			o, _ := run(t, "CreateFunction20150331", fn)
			var r report.Report
			getJSON(t, o.Stored.ReportKey, &r)
			ours := map[string]bool{}
			for _, f := range r.Findings {
				ours[f.ID] = true
			}
			raw, err := os.ReadFile(filepath.Join(corpus, c.name+".expected.json"))
			require.NoError(t, err)
			var peer struct {
				Findings []struct {
					Name, ID string
				} `json:"findings"`
			}
			require.NoError(t, json.Unmarshal(raw, &peer))
			for _, f := range peer.Findings {
				if f.Name == "json5" {
					continue
				}
				assert.True(t, ours[f.ID], "%s %s", f.Name, f.ID)
			}
		})
	}
}

// Two functions deployed from one package are scanned once: the second
// reuses the content-addressed results.
func TestSharedPackageScannedOnce(t *testing.T) {
	ctx := context.Background()
	a, err := env.CreateFunction(ctx, "twin-a", pkg("java-shaded.zip"), "java11", nil, nil)
	require.NoError(t, err)
	b, err := env.CreateFunction(ctx, "twin-b", pkg("java-shaded.zip"), "java11", nil, nil)
	require.NoError(t, err)
	oa, _ := run(t, "CreateFunction20150331", a)
	ob, _ := run(t, "CreateFunction20150331", b)
	var ra, rb report.Report
	getJSON(t, oa.Stored.ReportKey, &ra)
	getJSON(t, ob.Stored.ReportKey, &rb)
	assert.Equal(t, ra.Timings.StartedAt, rb.Timings.StartedAt, "one engine run serves both")
	assert.Equal(t, b, rb.Target.FunctionARN, "each copy names its own function")
	assert.True(t, strings.HasSuffix(ob.Stored.ReportKey, ".json"))
}

// DynamoDB deletes expired items lazily; the cache check must not trust one.
func TestExpiredCacheItemIsAMiss(t *testing.T) {
	ctx := context.Background()
	fn, err := env.CreateFunction(ctx, "expiry", pkg("node-api.zip"), "nodejs20.x", nil, nil)
	require.NoError(t, err)
	run(t, "CreateFunction20150331", fn)
	target, err := validate.New(env.Config, env.AWS.Env).Handle(ctx, []byte(`{"functionArn":"`+fn+`"}`))
	require.NoError(t, err)
	res, err := cachecheck.New(env.Config, env.AWS.Env).Handle(ctx, target)
	require.NoError(t, err)
	assert.True(t, res.Hit)

	later := cachecheck.New(env.Config, env.AWS.Env)
	later.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	later.Cache.Now = later.Now
	res, err = later.Handle(ctx, target)
	require.NoError(t, err)
	assert.False(t, res.Hit, "past its TTL the item is ignored, even though DynamoDB still returns it")
}
