// Package metrics is the scan workflow's Metrics step: the outcome of one
// execution as CloudWatch metrics.
package metrics

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// CloudWatchAPI is the CloudWatch call this step makes.
type CloudWatchAPI interface {
	PutMetricData(context.Context, *cloudwatch.PutMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// Handler publishes metrics.
type Handler struct {
	Namespace  string
	CloudWatch CloudWatchAPI
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	return &Handler{Namespace: cfg.MetricsNS, CloudWatch: Client(env)}
}

// Client is the CloudWatch client for env.
func Client(env awsclient.Env) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(env.Config, func(o *cloudwatch.Options) {
		o.BaseEndpoint = env.Base()
		if env.Endpoint != "" {
			// CloudWatch's SDK speaks rpcv2 CBOR; local emulators speak query.
			o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		}
	})
}

// Handle publishes the outcome of one execution.
func (h *Handler) Handle(ctx context.Context, in contract.RecordInput) (map[string]int, error) {
	count := func(name string) cwtypes.MetricDatum {
		return cwtypes.MetricDatum{MetricName: aws.String(name), Value: aws.Float64(1), Unit: cwtypes.StandardUnitCount}
	}
	var data []cwtypes.MetricDatum
	switch {
	case in.Outcome == contract.OutcomeCacheHit:
		data = append(data, count(contract.MetricCacheHit))
	case in.Error != nil || in.Outcome == contract.OutcomeFailed:
		data = append(data, count(contract.MetricScanFailure))
		if in.Error != nil && in.Error.Error == string(schema.ErrCodeHashMismatch) {
			data = append(data, count(contract.MetricCodeHashMismatch))
		}
	case in.Summary != nil:
		if in.Summary.Status == schema.StatusPartial {
			data = append(data, count(contract.MetricScanPartialSuccess))
		} else {
			data = append(data, count(contract.MetricScanSuccess))
		}
		data = append(data, cwtypes.MetricDatum{MetricName: aws.String(contract.MetricScanDuration), Value: aws.Float64(float64(in.Summary.DurationMS)), Unit: cwtypes.StandardUnitMilliseconds})
		for _, level := range schema.Levels {
			data = append(data, cwtypes.MetricDatum{
				MetricName: aws.String(contract.MetricVulnerabilities), Value: aws.Float64(float64(in.Summary.BySeverity[level])), Unit: cwtypes.StandardUnitCount,
				Dimensions: []cwtypes.Dimension{{Name: aws.String("Severity"), Value: aws.String(level)}},
			})
		}
		data = append(data, cwtypes.MetricDatum{MetricName: aws.String(contract.MetricKnownExploited), Value: aws.Float64(float64(in.Summary.KEV)), Unit: cwtypes.StandardUnitCount})
	}
	if len(data) == 0 {
		return map[string]int{"published": 0}, nil
	}
	if _, err := h.CloudWatch.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: &h.Namespace, MetricData: data}); err != nil {
		return nil, awsclient.Classify("PutMetricData", err)
	}
	return map[string]int{"published": len(data)}, nil
}
