// Package step is what every step Lambda's main does: read the stack's
// configuration and the AWS environment once per container, build the
// step's handler, and serve it with its errors named for Step Functions.
// Each step's handler lives in a package of its own (internal/step/<name>),
// so a step's binary links only what that step uses.
package step

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// Build makes a step's handler function (a func the aws-lambda-go runtime
// accepts) from the configuration and the AWS environment. It must not call
// AWS: a cold start pays for every request made before the first event.
type Build func(config.Config, awsclient.Env) any

// Start is a step Lambda's main.
func Start(name string, build Build) {
	cfg, err := config.FromEnv()
	if err != nil {
		slog.Error("lambdascan: init failed", "step", name, "error", err)
		os.Exit(1)
	}
	env, err := awsclient.Load()
	if err != nil {
		slog.Error("lambdascan: init failed", "step", name, "error", err)
		os.Exit(1)
	}
	lambda.Start(Named(lambda.NewHandler(build(cfg, env))))
}

// Named makes a handler's named errors (contract.Named) the Lambda
// errorType: the Go runtime would otherwise report the error's Go type
// name, and an engine failure would reach Step Functions as "ScanFailed"
// with its real name only inside the message.
func Named(h lambda.Handler) lambda.Handler { return named{h} }

type named struct{ h lambda.Handler }

func (n named) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := n.h.Invoke(ctx, payload)
	var ne contract.Named
	if err != nil && errors.As(err, &ne) {
		return out, messages.InvokeResponse_Error{Type: ne.ErrorType(), Message: err.Error()}
	}
	return out, err
}
