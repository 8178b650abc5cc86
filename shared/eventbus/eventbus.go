// Package eventbus publishes the fleet's findings changes to EventBridge:
// source "lambdascan", detail-types "Finding New", "Finding Resolved" and
// "Scan Completed", on the account's default bus (or the one named).
package eventbus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/findings"
)

// Source and detail-types of the events.
const (
	Source         = "lambdascan"
	FindingNew     = "Finding New"
	FindingResolve = "Finding Resolved"
	ScanCompleted  = "Scan Completed"
)

// Why a finding was resolved.
const (
	ReasonFixed   = "fixed"   // a scan no longer finds it
	ReasonDeleted = "deleted" // the function (version) is gone
)

// PutEventsAPI is the part of EventBridge the publisher calls.
type PutEventsAPI interface {
	PutEvents(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Publisher puts events on one bus.
type Publisher struct {
	API     PutEventsAPI
	Bus     string        // name or ARN; "default" when empty
	Backoff time.Duration // between retries of failed entries (default 100ms, doubling)
}

// Open is a publisher on env's EventBridge.
func Open(env awsclient.Env, bus string) *Publisher {
	return &Publisher{API: eventbridge.NewFromConfig(env.Config, func(o *eventbridge.Options) { o.BaseEndpoint = env.Base() }), Bus: bus}
}

// Finding is the detail of "Finding New" and "Finding Resolved".
type Finding struct {
	Account      string           `json:"account"`
	Region       string           `json:"region"`
	FunctionARN  string           `json:"functionArn"`
	FunctionName string           `json:"functionName"`
	Version      string           `json:"version"`
	Advisory     string           `json:"advisory"`
	Aliases      []string         `json:"aliases,omitempty"`
	Package      findings.Package `json:"package"`
	Fixed        string           `json:"fixedVersion,omitempty"`
	Severity     string           `json:"severity"`
	Score        float64          `json:"cvssScore,omitempty"`
	KEV          bool             `json:"kev"`
	Reachability string           `json:"reachability,omitempty"`
	Since        time.Time        `json:"since"`
	ReportKey    string           `json:"reportKey,omitempty"`
	Reason       string           `json:"reason,omitempty"` // resolved: fixed | deleted
}

// Scan is the detail of "Scan Completed".
type Scan struct {
	Account          string         `json:"account"`
	Region           string         `json:"region"`
	FunctionARN      string         `json:"functionArn"`
	FunctionName     string         `json:"functionName"`
	Version          string         `json:"version"`
	Status           string         `json:"status"` // complete | partial | failed
	ReportKey        string         `json:"reportKey"`
	CycloneDXKey     string         `json:"cyclonedxKey,omitempty"`
	SPDXKey          string         `json:"spdxKey,omitempty"`
	Packages         int            `json:"packages"`
	Findings         int            `json:"findings"`
	BySeverity       map[string]int `json:"bySeverity,omitempty"`
	MaxSeverity      string         `json:"maxSeverity,omitempty"`
	KEV              int            `json:"kev"`
	NewFindings      int            `json:"newFindings"`
	ResolvedFindings int            `json:"resolvedFindings"`
	DBVersion        string         `json:"dbVersion,omitempty"`
}

// FindingOf is a row's event detail.
func FindingOf(r findings.Row, reportKey, reason string) Finding {
	d := Finding{Account: r.Function.Account, Region: r.Function.Region, FunctionARN: r.Function.ARN, FunctionName: r.Function.Name,
		Version: r.Function.Version, Package: r.Package, Since: r.Since, ReportKey: reportKey, Reason: reason}
	if f := r.Finding; f != nil {
		d.Advisory, d.Aliases, d.Fixed, d.Severity, d.Score, d.KEV, d.Reachability = f.Advisory, f.Aliases, f.Fixed, f.Severity, f.Score, f.KEV, f.Reachability
	}
	return d
}

// Event is one entry to put.
type Event struct {
	DetailType string
	Resource   string // the function ARN
	Time       time.Time
	Detail     any
}

// Diff is the events of a findings diff: one per new and per resolved finding.
func Diff(d findings.Diff, reportKey, reason string, at time.Time) []Event {
	var out []Event
	for _, r := range d.New {
		out = append(out, Event{DetailType: FindingNew, Resource: r.Function.ARN, Time: at, Detail: FindingOf(r, reportKey, "")})
	}
	for _, r := range d.Resolved {
		out = append(out, Event{DetailType: FindingResolve, Resource: r.Function.ARN, Time: at, Detail: FindingOf(r, reportKey, reason)})
	}
	return out
}

// FailedError names the events EventBridge kept refusing.
type FailedError struct {
	Failed []string // "detail-type: code message"
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("eventbridge: %d event(s) not put: %v", len(e.Failed), e.Failed)
}

// Put sends the events, 10 a call (PutEvents' limit), retrying the entries
// EventBridge failed with backoff; what still fails is a *FailedError.
func (p *Publisher) Put(ctx context.Context, events []Event) error {
	bus := p.Bus
	if bus == "" {
		bus = "default"
	}
	backoff := p.Backoff
	if backoff == 0 {
		backoff = 100 * time.Millisecond
	}
	var failed []string
	for start := 0; start < len(events); start += 10 {
		batch := events[start:min(start+10, len(events))]
		entries := make([]types.PutEventsRequestEntry, 0, len(batch))
		for _, e := range batch {
			b, err := json.Marshal(e.Detail)
			if err != nil {
				return err
			}
			entries = append(entries, types.PutEventsRequestEntry{Source: aws.String(Source), DetailType: aws.String(e.DetailType),
				Detail: aws.String(string(b)), Resources: []string{e.Resource}, Time: aws.Time(e.Time), EventBusName: aws.String(bus)})
		}
		for attempt := 0; len(entries) > 0; attempt++ {
			out, err := p.API.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
			if err != nil {
				return awsclient.Classify("eventbridge put", err)
			}
			var retry []types.PutEventsRequestEntry
			for i, r := range out.Entries {
				if r.ErrorCode == nil || i >= len(entries) {
					continue
				}
				if attempt >= 4 {
					failed = append(failed, fmt.Sprintf("%s: %s %s", aws.ToString(entries[i].DetailType), aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage)))
					continue
				}
				retry = append(retry, entries[i])
			}
			entries = retry
			if len(entries) > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(backoff << attempt):
				}
			}
		}
	}
	if len(failed) > 0 {
		return &FailedError{Failed: failed}
	}
	return nil
}
