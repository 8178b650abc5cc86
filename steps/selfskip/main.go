// Command selfskip is the Lambda of the workflow's selfskip step (package
// internal/step/selfskip).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/selfskip"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepSelfSkip, func(c config.Config, e awsclient.Env) any { return selfskip.New(c, e).Handle })
}
