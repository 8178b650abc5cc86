// Package validate is the scan workflow's Validate step: the execution
// input (a CloudTrail event, {"functionArn": …} or a bulk item) becomes a
// scan target, or the step fails with InvalidEvent, which the state machine
// ends cleanly as "invalid". It calls no AWS API.
package validate

import (
	"context"
	"encoding/json"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/events"
)

// Handler validates inputs against the scanner's own partition, region and
// account (the defaults of a bare function name).
type Handler struct {
	Home arn.Function
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, _ awsclient.Env) *Handler {
	return &Handler{Home: arn.Function{Partition: cfg.Partition, Region: cfg.Region, Account: cfg.Account}}
}

// Handle turns the execution input into a scan target.
func (h *Handler) Handle(_ context.Context, raw json.RawMessage) (contract.Target, error) {
	return events.Parse(raw, h.Home)
}
