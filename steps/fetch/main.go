// Command fetch is the Lambda of the workflow's fetch step (package
// internal/step/fetch).
package main

import (
	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/fetch"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

func main() {
	step.Start(contract.StepFetch, func(c config.Config, e awsclient.Env) any { return fetch.New(c, e).Handle })
}
