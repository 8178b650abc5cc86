package scanflow

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/internal/step/mirror"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// feedServer serves testdata/feeds as the publishers do: the NVD pages as
// the CVE API 2.0 (startIndex paging, the apiKey header required), the KEV
// catalog, and the EPSS csv gzip-compressed. kevDown makes CISA fail.
func feedServer(t *testing.T, apiKey string, kevDown *atomic.Bool) *httptest.Server {
	t.Helper()
	dir := filepath.Join(testdata, "feeds")
	var vulns []json.RawMessage
	pages, _ := filepath.Glob(filepath.Join(dir, "nvd", "*.json"))
	for _, p := range pages {
		var page struct{ Vulnerabilities []json.RawMessage }
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &page))
		vulns = append(vulns, page.Vulnerabilities...)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "epss", "epss_scores-2026-11-01.csv"))
	require.NoError(t, err)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(csv)
	require.NoError(t, zw.Close())

	mux := http.NewServeMux()
	mux.HandleFunc("/rest/json/cves/2.0", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("apiKey") != apiKey {
			http.Error(w, "no key", http.StatusForbidden)
			return
		}
		start, _ := strconv.Atoi(r.URL.Query().Get("startIndex"))
		per, _ := strconv.Atoi(r.URL.Query().Get("resultsPerPage"))
		per = min(per, 4) // several pages
		page := []json.RawMessage{}
		if start < len(vulns) {
			page = vulns[start:min(start+per, len(vulns))]
		}
		json.NewEncoder(w).Encode(map[string]any{"resultsPerPage": len(page), "startIndex": start, "totalResults": len(vulns),
			"format": "NVD_CVE", "version": "2.0", "timestamp": "2026-11-29T00:00:00.000", "vulnerabilities": page})
	})
	mux.HandleFunc("/kev.json", func(w http.ResponseWriter, r *http.Request) {
		if kevDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		http.ServeFile(w, r, filepath.Join(dir, "kev", "known_exploited_vulnerabilities.json"))
	})
	mux.HandleFunc("/epss_scores-current.csv.gz", func(w http.ResponseWriter, r *http.Request) { w.Write(gz.Bytes()) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// The mirror adds NVD (with its API key from Secrets Manager), KEV and
// EPSS to the index and records each in the header; a feed that then fails
// keeps its data, shows its error in the header and counts in FeedFailure.
func TestMirrorIngestsFeedsAndSurvivesAFailingOne(t *testing.T) {
	ctx := context.Background()
	start := time.Now().Add(-time.Minute)
	sm := secretsmanager.NewFromConfig(env.AWS.Config, func(o *secretsmanager.Options) { o.BaseEndpoint = aws.String(env.Stack.Endpoint) })
	_, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("lambdascan/nvd-api-key"), SecretString: aws.String("nvd-key-1")})
	require.NoError(t, err)
	var kevDown atomic.Bool
	srv := feedServer(t, "nvd-key-1", &kevDown)

	cfg := env.Config
	cfg.Feeds = []string{"nvd", "kev", "epss"}
	cfg.NVDURL, cfg.KEVURL, cfg.EPSSURL = srv.URL+"/rest/json/cves/2.0", srv.URL+"/kev.json", srv.URL+"/epss_scores-current.csv.gz"
	cfg.NVDAPIKeySecret, cfg.NVDDelay, cfg.NVDMaxRequests = "lambdascan/nvd-api-key", time.Millisecond, 10
	h := mirror.New(cfg, env.AWS.Env)
	t.Cleanup(func() {
		// The other tests expect the stack's own index, without feeds.
		time.Sleep(1100 * time.Millisecond)
		out, err := env.AWS.Lambda.Invoke(ctx, &lambdasvc.InvokeInput{FunctionName: aws.String(localstack.FunctionName(contract.StepMirror)), Payload: []byte("{}")})
		require.NoError(t, err)
		require.Nil(t, out.FunctionError, string(out.Payload))
	})

	time.Sleep(1100 * time.Millisecond) // versions carry the build second
	_, err = h.Handle(ctx, nil)
	require.NoError(t, err)
	db, err := env.VulnDB.Open(ctx)
	require.NoError(t, err)
	fs := db.Info().Feeds
	assert.Equal(t, 6, fs["nvd"].Count)
	assert.Equal(t, 2, fs["kev"].Count)
	assert.Equal(t, 2, fs["epss"].Count)
	assert.Equal(t, "2026-11-01", fs["epss"].Date)
	for name, f := range fs {
		assert.Empty(t, f.Error, name)
	}
	advs, err := db.Lookup("PyPI", "urllib3")
	require.NoError(t, err)
	rated := false
	for _, a := range advs {
		for _, c := range a.CVEs {
			rated = rated || (c.ID == "CVE-2021-33503" && c.NVD != nil && c.NVD.Score == 7.5)
		}
	}
	assert.True(t, rated, "PYSEC-2021-108 carries NVD's rating of CVE-2021-33503")

	kevDown.Store(true)
	time.Sleep(1100 * time.Millisecond)
	_, err = h.Handle(ctx, nil)
	require.NoError(t, err, "a failed feed does not fail the mirror")
	db, err = env.VulnDB.Open(ctx)
	require.NoError(t, err)
	kev := db.Info().Feeds["kev"]
	assert.Contains(t, kev.Error, "503")
	assert.Equal(t, 2, kev.Count, "the previous catalog stays")
	assert.Empty(t, db.Info().Feeds["nvd"].Error)

	res, err := env.AWS.CloudWatch.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(time.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("kev"), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"),
			Metric: &cwtypes.Metric{Namespace: aws.String(contract.MetricsNamespace), MetricName: aws.String(contract.MetricFeedFailure),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("Feed"), Value: aws.String("kev")}}}}}},
	})
	require.NoError(t, err)
	sum := 0.0
	for _, r := range res.MetricDataResults {
		for _, v := range r.Values {
			sum += v
		}
	}
	assert.Equal(t, 1.0, sum, "one failed KEV refresh")
}
