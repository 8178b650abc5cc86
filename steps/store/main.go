// Command store is the Lambda of the workflow's store step (package
// internal/step/store).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/store"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepStore, func(c config.Config, e awsclient.Env) any { return store.New(c, e).Handle })
}
