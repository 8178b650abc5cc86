package metrics_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/internal/step/metrics"
	"github.com/lambdascan/lambdascan/internal/step/steptest"
	"github.com/lambdascan/lambdascan/shared/contract"
)

type fakeCloudWatch struct {
	in []*cloudwatch.PutMetricDataInput
}

func (f *fakeCloudWatch) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	f.in = append(f.in, in)
	return &cloudwatch.PutMetricDataOutput{}, nil
}

func TestMetrics(t *testing.T) {
	for _, tc := range []struct {
		state string
		want  map[string]float64 // metric (Severity dimension appended) → value
	}{
		{"metrics-cache-hit", map[string]float64{contract.MetricCacheHit: 1}},
		{"record-failed", map[string]float64{contract.MetricScanFailure: 1}},
		{"tag-scanned", map[string]float64{contract.MetricScanPartialSuccess: 1, contract.MetricScanDuration: 63,
			"Vulnerabilities/critical": 1, "Vulnerabilities/high": 2, "Vulnerabilities/medium": 2, "Vulnerabilities/low": 0, "Vulnerabilities/unknown": 0,
			contract.MetricKnownExploited: 0}},
		{"store-scanned", map[string]float64{contract.MetricScanSuccess: 1, contract.MetricScanDuration: 41,
			"Vulnerabilities/critical": 0, "Vulnerabilities/high": 1, "Vulnerabilities/medium": 0, "Vulnerabilities/low": 0, "Vulnerabilities/unknown": 0,
			contract.MetricKnownExploited: 0}},
	} {
		t.Run(tc.state, func(t *testing.T) {
			cw := &fakeCloudWatch{}
			h := &metrics.Handler{Namespace: contract.MetricsNamespace, CloudWatch: cw}
			var in contract.RecordInput
			steptest.Decode(t, tc.state, &in)
			out, err := h.Handle(context.Background(), in)
			require.NoError(t, err)
			require.Len(t, cw.in, 1)
			assert.Equal(t, contract.MetricsNamespace, aws.ToString(cw.in[0].Namespace))
			got := map[string]float64{}
			for _, d := range cw.in[0].MetricData {
				name := aws.ToString(d.MetricName)
				for _, dim := range d.Dimensions {
					assert.Equal(t, "Severity", aws.ToString(dim.Name), "no function-level dimensions")
					name += "/" + aws.ToString(dim.Value)
				}
				got[name] = aws.ToFloat64(d.Value)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, len(tc.want), out["published"])
		})
	}
}
