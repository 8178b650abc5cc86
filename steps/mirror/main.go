// Command mirror is the Lambda of the workflow's mirror step (package
// internal/step/mirror).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/mirror"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepMirror, func(c config.Config, e awsclient.Env) any { return mirror.New(c, e).Handle })
}
