package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/lambdascan/lambdascan/shared/awsenv"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/replay"
)

// Deployed state machine names (cdk/lambdascan).
const (
	scanMachine = "lambdascan-scan"
	bulkMachine = "lambdascan-bulk"
)

// sfnClient builds the Step Functions client (credentials: package awsenv).
var sfnClient = func(ctx context.Context) (*sfn.Client, error) {
	cfg, ep, err := awsenv.Config("")
	if err != nil {
		return nil, err
	}
	return sfn.NewFromConfig(cfg, func(o *sfn.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	}), nil
}

// machineARN finds a deployed state machine by name.
func machineARN(ctx context.Context, c *sfn.Client, name string) (string, error) {
	p := sfn.NewListStateMachinesPaginator(c, &sfn.ListStateMachinesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, m := range page.StateMachines {
			if aws.ToString(m.Name) == name {
				return aws.ToString(m.StateMachineArn), nil
			}
		}
	}
	return "", fmt.Errorf("state machine %q not found (is the stack deployed in this account and region?)", name)
}

func cmdBulk(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help"):
		bulkHelp.Write(stdout, nil)
		return exitOK
	case len(args) == 0:
		bulkHelp.Write(stderr, nil)
		return exitError
	case args[0] != "start":
		fmt.Fprintf(stderr, "lambdascan bulk: unknown command %q (valid: start)\nRun 'lambdascan bulk --help' for usage.\n", args[0])
		return exitError
	}
	fs := flag.NewFlagSet("bulk start", flag.ContinueOnError)
	accounts := fs.String("accounts", "", "scan the accounts `IDS`, comma-separated (default: this account)")
	regions := fs.String("regions", "", "scan the `REGIONS`, comma-separated (default: the stack's)")
	exclude := fs.String("exclude", "", "skip functions whose names match `GLOBS`, comma-separated")
	org := fs.Bool("organization", false, "scan every active account of the organization")
	force := fs.Bool("force", false, "ignore the cache")
	noTags := fs.Bool("no-tags", false, "write no tags in this run (TagResource's 15 rps bounds a large first run)")
	wait := fs.Bool("wait", false, "follow the run with a progress bar until it ends")
	name := fs.String("name", "", "execution `NAME` (default: bulk-<time>)")
	if pos, code, ok := parseFlags("bulk start", bulkHelp, fs, args[1:], stdout, stderr); !ok || len(pos) > 0 {
		if ok {
			fmt.Fprintf(stderr, "lambdascan bulk start: unexpected argument %q\n", pos[0])
			return exitError
		}
		return code
	}
	c, err := sfnClient(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan bulk: %v\n", err)
		return exitError
	}
	arn, err := machineARN(ctx, c, bulkMachine)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan bulk: %v\n", err)
		return exitError
	}
	req := contract.BulkRequest{Accounts: splitList(*accounts), Regions: splitList(*regions), Exclude: splitList(*exclude), Organization: *org, Force: *force, NoTags: *noTags}
	input, _ := json.Marshal(req)
	if *name == "" {
		*name = "bulk-" + time.Now().UTC().Format("20060102T150405Z")
	}
	out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: name, Input: aws.String(string(input))})
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan bulk: %v\n", err)
		return exitError
	}
	exec := aws.ToString(out.ExecutionArn)
	fmt.Fprintf(stdout, "started %s\n", exec)
	if !*wait {
		return exitOK
	}
	return follow(ctx, c, exec, stdout, stderr)
}

// follow prints a progress bar from the map run's item counts until the
// bulk execution ends, then its summary.
func follow(ctx context.Context, c *sfn.Client, exec string, stdout, stderr io.Writer) int {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
		if err != nil {
			fmt.Fprintf(stderr, "\nlambdascan bulk: %v\n", err)
			return exitError
		}
		if total, done, failed, ok := mapProgress(ctx, c, exec); ok {
			fmt.Fprintf(stdout, "\r%s %d/%d done, %d failed", bar(done, total, 30), done, total, failed)
		}
		if d.Status != sfntypes.ExecutionStatusRunning {
			fmt.Fprintf(stdout, "\n%s", d.Status)
			if d.Error != nil {
				fmt.Fprintf(stdout, ": %s", aws.ToString(d.Error))
			}
			fmt.Fprintln(stdout)
			if out := aws.ToString(d.Output); out != "" {
				var o struct {
					Summary json.RawMessage `json:"summary"`
				}
				if json.Unmarshal([]byte(out), &o) == nil && len(o.Summary) > 0 {
					fmt.Fprintf(stdout, "%s\n", o.Summary)
				}
			}
			if d.Status == sfntypes.ExecutionStatusSucceeded {
				return exitOK
			}
			return exitFindings
		}
		select {
		case <-ctx.Done():
			return exitError
		case <-tick.C:
		}
	}
}

func mapProgress(ctx context.Context, c *sfn.Client, exec string) (total, done, failed int64, ok bool) {
	runs, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(exec)})
	if err != nil || len(runs.MapRuns) == 0 {
		return 0, 0, 0, false
	}
	m, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	if err != nil || m.ItemCounts == nil {
		return 0, 0, 0, false
	}
	ic := m.ItemCounts
	return ic.Total, ic.Succeeded + ic.Failed + ic.Aborted + ic.TimedOut, ic.Failed + ic.Aborted + ic.TimedOut, true
}

func bar(done, total int64, width int) string {
	if total <= 0 {
		return "[" + strings.Repeat(" ", width) + "]"
	}
	n := int(int64(width) * done / total)
	return "[" + strings.Repeat("#", n) + strings.Repeat(" ", width-n) + "]"
}

// cmdStatus shows recent executions of both state machines and bulk map runs.
func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	limit := fs.Int("limit", 10, "show `N` executions per state machine")
	fs.IntVar(limit, "n", 10, "`N`: same as --limit")
	if pos, code, ok := parseFlags("status", statusHelp, fs, args, stdout, stderr); !ok || len(pos) > 0 {
		if ok {
			fmt.Fprintf(stderr, "lambdascan status: unexpected argument %q\n", pos[0])
			return exitError
		}
		return code
	}
	c, err := sfnClient(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan status: %v\n", err)
		return exitError
	}
	for _, name := range []string{bulkMachine, scanMachine} {
		arn, err := machineARN(ctx, c, name)
		if err != nil {
			fmt.Fprintf(stderr, "lambdascan status: %v\n", err)
			return exitError
		}
		out, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), MaxResults: int32(*limit)})
		if err != nil {
			fmt.Fprintf(stderr, "lambdascan status: %v\n", err)
			return exitError
		}
		fmt.Fprintf(stdout, "%s (%d shown)\n", name, len(out.Executions))
		for _, e := range out.Executions {
			line := fmt.Sprintf("  %-10s %s  %s", e.Status, aws.ToTime(e.StartDate).UTC().Format(time.RFC3339), aws.ToString(e.Name))
			if name == bulkMachine {
				if total, done, failed, ok := mapProgress(ctx, c, aws.ToString(e.ExecutionArn)); ok {
					line += fmt.Sprintf("  map run %d/%d done, %d failed", done, total, failed)
				}
			}
			fmt.Fprintln(stdout, line)
		}
	}
	return exitOK
}

// cmdReplay redrives (or restarts) failed executions of both state machines.
func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	since := fs.Duration("since", 24*time.Hour, "replay executions that stopped within this `DURATION`")
	dry := fs.Bool("dry-run", false, "list what would be replayed, and how")
	if pos, code, ok := parseFlags("replay", replayHelp, fs, args, stdout, stderr); !ok || len(pos) > 0 {
		if ok {
			fmt.Fprintf(stderr, "lambdascan replay: unexpected argument %q\n", pos[0])
			return exitError
		}
		return code
	}
	c, err := sfnClient(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan replay: %v\n", err)
		return exitError
	}
	var machines []string
	for _, name := range []string{scanMachine, bulkMachine} {
		arn, err := machineARN(ctx, c, name)
		if err != nil {
			fmt.Fprintf(stderr, "lambdascan replay: %v\n", err)
			return exitError
		}
		machines = append(machines, arn)
	}
	now := time.Now()
	failed, err := replay.List(ctx, c, machines, now.Add(-*since))
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan replay: %v\n", err)
		return exitError
	}
	actions := replay.Run(ctx, c, failed, *dry, now)
	code := exitOK
	for _, a := range actions {
		fmt.Fprintf(stdout, "%-13s %-9s %s  %s", a.Action, a.Status, a.Name, a.Error)
		if a.Reason != "" {
			fmt.Fprintf(stdout, "  (%s)", a.Reason)
		}
		if a.NewExecution != "" {
			fmt.Fprintf(stdout, "  -> %s", a.NewExecution)
		}
		if a.Err != "" {
			fmt.Fprintf(stdout, "  ERROR %s", a.Err)
			code = exitError
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "%d executions\n", len(actions))
	return code
}
