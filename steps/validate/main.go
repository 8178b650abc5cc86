// Command validate is the Lambda of the workflow's validate step (package
// internal/step/validate).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/validate"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepValidate, func(c config.Config, e awsclient.Env) any { return validate.New(c, e).Handle })
}
