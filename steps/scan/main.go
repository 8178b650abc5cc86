// Command scan is the Lambda of the workflow's scan step (package
// internal/step/scan).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/scan"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepScan, func(c config.Config, e awsclient.Env) any { return scan.New(c, e).Handle })
}
