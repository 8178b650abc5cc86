package workflow

import (
	"context"
	"encoding/json"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/events"
)

// Validate turns the execution input into a scan target, or fails with
// InvalidEvent, which the state machine ends cleanly as "invalid".
func (d *Deps) Validate(_ context.Context, raw json.RawMessage) (contract.Target, error) {
	c := d.Config
	return events.Parse(raw, arn.Function{Partition: c.Partition, Region: c.Region, Account: c.Account})
}
