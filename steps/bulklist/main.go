// Command bulklist is the Lambda of the workflow's bulklist step (package
// internal/step/bulklist).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/bulklist"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepBulkList, func(c config.Config, e awsclient.Env) any { return bulklist.New(c, e).Handle })
}
