// Command metrics is the Lambda of the workflow's metrics step (package
// internal/step/metrics).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/metrics"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepMetrics, func(c config.Config, e awsclient.Env) any { return metrics.New(c, e).Handle })
}
