package workflow

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/match"
)

// Metric names. Dimensions stay low-cardinality (no function names): per
// function detail lives in the reports.
const (
	MetricScanSuccess        = "ScanSuccess"
	MetricScanPartialSuccess = "ScanPartialSuccess"
	MetricScanFailure        = "ScanFailure"
	MetricCacheHit           = "CacheHit"
	MetricScanDuration       = "ScanDuration"
	MetricVulnerabilities    = "Vulnerabilities"
)

// Metrics publishes the outcome of one execution.
func (d *Deps) Metrics(ctx context.Context, in contract.RecordInput) (map[string]int, error) {
	count := func(name string) cwtypes.MetricDatum {
		return cwtypes.MetricDatum{MetricName: aws.String(name), Value: aws.Float64(1), Unit: cwtypes.StandardUnitCount}
	}
	var data []cwtypes.MetricDatum
	switch {
	case in.Outcome == contract.OutcomeCacheHit:
		data = append(data, count(MetricCacheHit))
	case in.Error != nil || in.Outcome == contract.OutcomeFailed:
		data = append(data, count(MetricScanFailure))
	case in.Summary != nil:
		if in.Summary.Status == "partial" {
			data = append(data, count(MetricScanPartialSuccess))
		} else {
			data = append(data, count(MetricScanSuccess))
		}
		data = append(data, cwtypes.MetricDatum{MetricName: aws.String(MetricScanDuration), Value: aws.Float64(float64(in.Summary.DurationMS)), Unit: cwtypes.StandardUnitMilliseconds})
		for _, level := range match.Levels {
			data = append(data, cwtypes.MetricDatum{
				MetricName: aws.String(MetricVulnerabilities), Value: aws.Float64(float64(in.Summary.BySeverity[level])), Unit: cwtypes.StandardUnitCount,
				Dimensions: []cwtypes.Dimension{{Name: aws.String("Severity"), Value: aws.String(level)}},
			})
		}
	}
	if len(data) == 0 {
		return map[string]int{"published": 0}, nil
	}
	if _, err := d.AWS.CloudWatch.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: &d.Config.MetricsNS, MetricData: data}); err != nil {
		return nil, awsclient.Classify("PutMetricData", err)
	}
	return map[string]int{"published": len(data)}, nil
}
