package store_test

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

	"github.com/lambdascan/lambdascan/internal/step/steptest"
	"github.com/lambdascan/lambdascan/internal/step/store"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

const bucket = "lambdascan-test"

func newHandler(t *testing.T) (*store.Handler, *steptest.S3, *cache.Table) {
	s3 := &steptest.S3{}
	table := &cache.Table{DDB: &steptest.DynamoDB{}, Name: "cache", TTL: 30 * 24 * time.Hour}
	now := func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) }
	table.Now = now
	return &store.Handler{Bucket: bucket, S3: s3, Cache: table, Now: now}, s3, table
}

func TestStore(t *testing.T) {
	scanReport, err := os.ReadFile(filepath.Join(steptest.Dir(), "reports", "scan-report.json"))
	require.NoError(t, err)
	for _, tc := range []struct {
		state     string
		keys      []string // stored under reports/
		status    string
		errorName schema.ErrorName
		message   string
		targetARN string
	}{
		{state: "store-scanned", status: schema.StatusComplete,
			keys: []string{"reports/123456789012/eu-west-1/orders/20261120T091502.481Z.json",
				"reports/123456789012/eu-west-1/orders/20261120T091502.481Z.cyclonedx.json",
				"reports/123456789012/eu-west-1/orders/20261120T091502.481Z.spdx.json",
				"reports/123456789012/eu-west-1/orders/latest.cyclonedx.json",
				"reports/123456789012/eu-west-1/orders/latest.json",
				"reports/123456789012/eu-west-1/orders/latest.spdx.json"},
			targetARN: "arn:aws:lambda:eu-west-1:123456789012:function:orders"},
		{state: "record-failed", status: schema.StatusFailed, errorName: "CorruptPackage", message: "zip: not a valid zip file",
			keys:      []string{"reports/123456789012/eu-west-1/broken/20261120T092011.007Z.json"},
			targetARN: "arn:aws:lambda:eu-west-1:123456789012:function:broken"},
		{state: "record-failed-timeout", status: schema.StatusFailed, errorName: "States.Timeout", message: "Task timed out after 900.00 seconds",
			keys:      []string{"reports/123456789012/eu-west-1/slow/20261120T093145.120Z.json"},
			targetARN: "arn:aws:lambda:eu-west-1:123456789012:function:slow"},
	} {
		t.Run(tc.state, func(t *testing.T) {
			h, s3, table := newHandler(t)
			var in contract.RecordInput
			steptest.Decode(t, tc.state, &in)
			if in.Summary != nil {
				putScan(t, s3, in.Summary, scanReport)
			}
			out, err := h.Handle(context.Background(), in)
			require.NoError(t, err)
			assert.Equal(t, tc.status, out.Status)
			assert.Equal(t, tc.keys[0], out.ReportKey)
			var stored []string
			for _, k := range s3.Keys(bucket) {
				if strings.HasPrefix(k, contract.ReportsPrefix) {
					stored = append(stored, k)
				}
			}
			assert.ElementsMatch(t, tc.keys, stored, "a failed attempt leaves latest.json alone")

			var r struct {
				schema.Header
				Packages []json.RawMessage `json:"packages"`
				Findings []json.RawMessage `json:"findings"`
			}
			require.NoError(t, json.Unmarshal(s3.Objects[bucket+"/"+tc.keys[0]], &r))
			assert.Equal(t, schema.SchemaVersion, r.Schema)
			assert.Equal(t, schema.KindFunction, r.Target.Kind)
			assert.Equal(t, tc.targetARN, r.Target.FunctionARN, "the stored copy names this function")
			if tc.errorName != "" {
				require.NotNil(t, r.Error)
				assert.Equal(t, tc.errorName, r.Error.Name, "the Step Functions error name, as the failing call gave it")
				assert.Equal(t, tc.message, r.Error.Message)
				assert.Equal(t, in.At(time.Time{}), r.Timings.StartedAt)
			} else {
				assert.Len(t, r.Packages, 2, "packages and findings kept as the scan wrote them")
				assert.Len(t, r.Findings, 1)
				assert.Equal(t, in.Fetched.Code.CodeSha256, r.Target.CodeSha256)
			}

			item, ok, err := table.GetFunction(context.Background(), tc.targetARN)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, tc.status, item.Status)
			assert.Equal(t, tc.keys[0], item.ReportKey)
		})
	}
}

// The stored copy keeps the scan report's members in their order, so a
// person reading it sees the schema's layout.
func TestStoreKeepsTheReportLayout(t *testing.T) {
	scanReport, err := os.ReadFile(filepath.Join(steptest.Dir(), "reports", "scan-report.json"))
	require.NoError(t, err)
	h, s3, _ := newHandler(t)
	var in contract.RecordInput
	steptest.Decode(t, "store-scanned", &in)
	putScan(t, s3, in.Summary, scanReport)
	out, err := h.Handle(context.Background(), in)
	require.NoError(t, err)
	body := string(s3.Objects[bucket+"/"+out.ReportKey])
	var last int
	for _, member := range []string{`"schema"`, `"target"`, `"scanner"`, `"db"`, `"timings"`, `"status"`, `"summary"`, `"packages"`, `"findings"`} {
		i := strings.Index(body, member)
		require.Greater(t, i, last, member)
		last = i
	}
	assert.NotContains(t, body, "orders-staging", "the shared scan's function is replaced")
}

func TestStoreNeedsASummaryOrAnError(t *testing.T) {
	h, _, _ := newHandler(t)
	var in contract.RecordInput
	steptest.Decode(t, "store-scanned", &in)
	in.Summary = nil
	_, err := h.Handle(context.Background(), in)
	var inv *contract.InvalidEvent
	require.ErrorAs(t, err, &inv)
}

func TestStoreMissingScanReportIsNamed(t *testing.T) {
	h, _, _ := newHandler(t)
	var in contract.RecordInput
	steptest.Decode(t, "store-scanned", &in)
	_, err := h.Handle(context.Background(), in)
	require.Error(t, err, "the scan's report is not there")
}

// putScan stores the shared scan result the summary names: the report and
// its SBOMs, which Store copies per function.
func putScan(t *testing.T, s3 *steptest.S3, sum *contract.Summary, scanReport []byte) {
	t.Helper()
	s3.Put(bucket, sum.ReportKey, scanReport)
	for key, name := range map[string]string{sum.CycloneDX: "scan-cyclonedx.json", sum.SPDXKey: "scan-spdx.json"} {
		b, err := os.ReadFile(filepath.Join(steptest.Dir(), "reports", name))
		require.NoError(t, err)
		s3.Put(bucket, key, b)
	}
}
