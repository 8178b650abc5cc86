// Command bulkreport is the Lambda of the workflow's bulkreport step (package
// internal/step/bulkreport).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/bulkreport"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepBulkReport, func(c config.Config, e awsclient.Env) any { return bulkreport.New(c, e).Handle })
}
