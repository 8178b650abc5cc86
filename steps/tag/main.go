// Command tag is the Lambda of the workflow's tag step (package
// internal/step/tag).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/tag"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepTag, func(c config.Config, e awsclient.Env) any { return tag.New(c, e).Handle })
}
