// Command notify is the Lambda of the workflow's notify step (package
// internal/step/notify).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/notify"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepNotify, func(c config.Config, e awsclient.Env) any { return notify.New(c, e).Handle })
}
