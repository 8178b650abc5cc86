// Command cachecheck is the Lambda of the workflow's cachecheck step (package
// internal/step/cachecheck).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/cachecheck"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepCacheCheck, func(c config.Config, e awsclient.Env) any { return cachecheck.New(c, e).Handle })
}
