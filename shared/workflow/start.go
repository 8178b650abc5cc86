package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

// Step names: steps/<name> builds the Lambda, the stack names the function
// "<prefix>-<name>", and the local stack registers the handler under it.
const (
	StepValidate   = "validate"
	StepSelfSkip   = "selfskip"
	StepCacheCheck = "cachecheck"
	StepFetch      = "fetch"
	StepScan       = "scan"
	StepStore      = "store"
	StepTag        = "tag"
	StepMetrics    = "metrics"
	StepNotify     = "notify"
	StepMirror     = "mirror"
	StepBulkList   = "bulklist"
	StepBulkReport = "bulkreport"
)

// Steps lists every step with its ASL placeholder ("" for the mirror, which
// is not part of the scan state machine).
var Steps = []struct{ Name, Placeholder string }{
	{StepValidate, "ValidateFunctionArn"}, {StepSelfSkip, "SelfSkipFunctionArn"}, {StepCacheCheck, "CacheCheckFunctionArn"},
	{StepFetch, "FetchFunctionArn"}, {StepScan, "ScanFunctionArn"}, {StepStore, "StoreFunctionArn"}, {StepTag, "TagFunctionArn"},
	{StepMetrics, "MetricsFunctionArn"}, {StepNotify, "NotifyFunctionArn"}, {StepMirror, ""},
	{StepBulkList, "BulkListFunctionArn"}, {StepBulkReport, "BulkReportFunctionArn"},
}

// Handler returns the handler function of a step.
func (d *Deps) Handler(step string) (any, error) {
	switch step {
	case StepValidate:
		return d.Validate, nil
	case StepSelfSkip:
		return d.SelfSkip, nil
	case StepCacheCheck:
		return d.CacheCheck, nil
	case StepFetch:
		return d.Fetch, nil
	case StepScan:
		return d.Scan, nil
	case StepStore:
		return d.Store, nil
	case StepTag:
		return d.Tag, nil
	case StepMetrics:
		return d.Metrics, nil
	case StepNotify:
		return d.Notify, nil
	case StepMirror:
		return d.Mirror, nil
	case StepBulkList:
		return d.BulkEnumerate, nil
	case StepBulkReport:
		return d.BulkSummarize, nil
	}
	return nil, fmt.Errorf("workflow: no step %q", step)
}

// Start is a step Lambda's main: build the dependencies once per container,
// then serve the step's handler.
func Start(step string) {
	d, err := FromEnv(context.Background())
	if err != nil {
		slog.Error("lambdascan: init failed", "step", step, "error", err)
		os.Exit(1)
	}
	h, err := d.Handler(step)
	if err != nil {
		slog.Error("lambdascan: init failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(h)
}
