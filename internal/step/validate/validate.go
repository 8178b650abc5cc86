// Package validate is the scan workflow's Validate step: the execution
// input (a CloudTrail event, {"functionArn": …} or a bulk item) becomes a
// scan target, or the step fails with InvalidEvent, which the state machine
// ends cleanly as "invalid". A bulk item's claims (selfChecked, the code
// identity ListFunctions gave) are kept only when the input comes from a
// running bulk execution: one DescribeExecution.
package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/events"
)

// SFNAPI is the Step Functions call this step makes.
type SFNAPI interface {
	DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

// Handler validates inputs against the scanner's own partition, region and
// account (the defaults of a bare function name).
type Handler struct {
	Home arn.Function
	SFN  SFNAPI
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	return &Handler{Home: arn.Function{Partition: cfg.Partition, Region: cfg.Region, Account: cfg.Account},
		SFN: sfn.NewFromConfig(env.Config, func(o *sfn.Options) { o.BaseEndpoint = env.Base() })}
}

// startedBy is the field Step Functions sets on an execution another one
// starts (the bulk Map passes its own execution id under it).
type startedBy struct {
	Parent string `json:"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"`
}

// Handle turns the execution input into a scan target.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (contract.Target, error) {
	t, err := events.Parse(raw, h.Home)
	if err != nil || (!t.SelfChecked && t.Listed == nil) {
		return t, err
	}
	var in startedBy
	_ = json.Unmarshal(raw, &in) // Parse accepted an object
	ok, err := h.fromBulk(ctx, in.Parent)
	if err != nil {
		return contract.Target{}, err
	}
	if !ok {
		// Anyone who may start executions could claim these: re-read the
		// function instead (GetFunctionConfiguration, ListTags).
		t.SelfChecked, t.Listed = false, nil
	}
	return t, nil
}

// fromBulk says whether parent is a running execution of this stack's bulk
// state machine (a Distributed Map child's id names the machine too).
func (h *Handler) fromBulk(ctx context.Context, parent string) (bool, error) {
	prefix := fmt.Sprintf("arn:%s:states:%s:%s:execution:%s", h.Home.Partition, h.Home.Region, h.Home.Account, contract.BulkStateMachine)
	if !strings.HasPrefix(parent, prefix+":") && !strings.HasPrefix(parent, prefix+"/") {
		return false, nil
	}
	out, err := h.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: &parent})
	if err != nil {
		if awsclient.IsNotFound(err) || strings.Contains(err.Error(), "ExecutionDoesNotExist") {
			return false, nil
		}
		return false, awsclient.Classify("DescribeExecution", err)
	}
	return out.Status == sfntypes.ExecutionStatusRunning, nil
}
