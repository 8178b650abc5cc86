// Package replay re-runs failed executions: RedriveExecution where Step
// Functions allows it (Standard executions that failed, timed out or were
// aborted within the last 14 days), else a new execution with the original
// input. Operators reach it through `lambdascan replay`.
package replay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// RedriveWindow is how long Step Functions keeps a failed execution redrivable.
const RedriveWindow = 14 * 24 * time.Hour

// Failed is one execution to replay.
type Failed struct {
	ExecutionARN    string    `json:"executionArn"`
	StateMachineARN string    `json:"stateMachineArn"`
	Name            string    `json:"name"`
	Status          string    `json:"status"`
	StoppedAt       time.Time `json:"stoppedAt"`
	Error           string    `json:"error,omitempty"`
	Cause           string    `json:"cause,omitempty"`
}

// Action is what replay did (or would do) with one execution.
type Action struct {
	Failed
	Action       string `json:"action"` // redrive, restart, would-redrive, would-restart
	NewExecution string `json:"newExecution,omitempty"`
	Reason       string `json:"reason,omitempty"` // why not redriven
	Err          string `json:"err,omitempty"`
}

// List returns the failed, timed-out and aborted executions of the state
// machines that stopped after since.
func List(ctx context.Context, c *sfn.Client, machines []string, since time.Time) ([]Failed, error) {
	var out []Failed
	for _, m := range machines {
		for _, status := range []sfntypes.ExecutionStatus{sfntypes.ExecutionStatusFailed, sfntypes.ExecutionStatusTimedOut, sfntypes.ExecutionStatusAborted} {
			p := sfn.NewListExecutionsPaginator(c, &sfn.ListExecutionsInput{StateMachineArn: aws.String(m), StatusFilter: status})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, fmt.Errorf("listing %s executions of %s: %w", status, m, err)
				}
				for _, e := range page.Executions {
					stopped := aws.ToTime(e.StopDate)
					if stopped.Before(since) {
						continue
					}
					f := Failed{ExecutionARN: aws.ToString(e.ExecutionArn), StateMachineARN: m, Name: aws.ToString(e.Name), Status: string(status), StoppedAt: stopped}
					if d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: e.ExecutionArn}); err == nil {
						f.Error, f.Cause = aws.ToString(d.Error), aws.ToString(d.Cause)
					}
					out = append(out, f)
				}
			}
		}
	}
	return out, nil
}

// Run replays each execution; dryRun only says what it would do.
func Run(ctx context.Context, c *sfn.Client, failed []Failed, dryRun bool, now time.Time) []Action {
	var out []Action
	for _, f := range failed {
		a := Action{Failed: f}
		old := now.Sub(f.StoppedAt) > RedriveWindow
		switch {
		case dryRun && old:
			a.Action, a.Reason = "would-restart", "older than the 14-day redrive window"
		case dryRun:
			a.Action = "would-redrive"
		case !old:
			_, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(f.ExecutionARN), ClientToken: aws.String(token(f))})
			if err == nil {
				a.Action = "redrive"
				break
			}
			a.Reason = "redrive refused: " + apiCode(err)
			a.NewExecution, err = restart(ctx, c, f, now)
			a.Action = "restart"
			if err != nil {
				a.Err = err.Error()
			}
		default:
			a.Reason = "older than the 14-day redrive window"
			var err error
			a.NewExecution, err = restart(ctx, c, f, now)
			a.Action = "restart"
			if err != nil {
				a.Err = err.Error()
			}
		}
		out = append(out, a)
	}
	return out
}

// restart starts a new execution with the failed one's input.
func restart(ctx context.Context, c *sfn.Client, f Failed, now time.Time) (string, error) {
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(f.ExecutionARN)})
	if err != nil {
		return "", fmt.Errorf("reading the original input: %w", err)
	}
	name := fmt.Sprintf("%s-replay-%d", f.Name, now.Unix())
	if len(name) > 80 {
		name = name[len(name)-80:]
	}
	out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(f.StateMachineARN), Name: aws.String(name), Input: d.Input})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ExecutionArn), nil
}

// token makes a retried replay of the same execution idempotent.
func token(f Failed) string {
	t := strings.ReplaceAll(f.Name, ":", "-")
	if len(t) > 64 {
		t = t[:64]
	}
	return t
}

func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return err.Error()
}
