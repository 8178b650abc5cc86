// Command lightmux is the alternative make bench-lambdas measures against
// one binary per step: every light step in one binary, the step chosen by
// the function's handler setting (_HANDLER).
package main

import (
	"os"

	"github.com/lambdascan/lambdascan/internal/step"
	"github.com/lambdascan/lambdascan/internal/step/bulklist"
	"github.com/lambdascan/lambdascan/internal/step/bulkreport"
	"github.com/lambdascan/lambdascan/internal/step/cachecheck"
	"github.com/lambdascan/lambdascan/internal/step/metrics"
	"github.com/lambdascan/lambdascan/internal/step/notify"
	"github.com/lambdascan/lambdascan/internal/step/selfskip"
	"github.com/lambdascan/lambdascan/internal/step/store"
	"github.com/lambdascan/lambdascan/internal/step/tag"
	"github.com/lambdascan/lambdascan/internal/step/validate"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

var builds = map[string]step.Build{
	contract.StepValidate:   func(c config.Config, e awsclient.Env) any { return validate.New(c, e).Handle },
	contract.StepSelfSkip:   func(c config.Config, e awsclient.Env) any { return selfskip.New(c, e).Handle },
	contract.StepCacheCheck: func(c config.Config, e awsclient.Env) any { return cachecheck.New(c, e).Handle },
	contract.StepStore:      func(c config.Config, e awsclient.Env) any { return store.New(c, e).Handle },
	contract.StepTag:        func(c config.Config, e awsclient.Env) any { return tag.New(c, e).Handle },
	contract.StepMetrics:    func(c config.Config, e awsclient.Env) any { return metrics.New(c, e).Handle },
	contract.StepNotify:     func(c config.Config, e awsclient.Env) any { return notify.New(c, e).Handle },
	contract.StepBulkList:   func(c config.Config, e awsclient.Env) any { return bulklist.New(c, e).Handle },
	contract.StepBulkReport: func(c config.Config, e awsclient.Env) any { return bulkreport.New(c, e).Handle },
}

func main() {
	name := os.Getenv("_HANDLER")
	build, ok := builds[name]
	if !ok {
		os.Stderr.WriteString("lightmux: no light step " + name + "\n")
		os.Exit(1)
	}
	step.Start(name, build)
}
