// Command bare is the yardstick of make bench-lambdas: an aws-lambda-go
// handler that does nothing, built with the steps' flags.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
}
