package contract

import (
	"encoding/json"
	"time"
)

// Inputs of the Task states, shaped by each state's Parameters in
// statemachine/scan.asl.json from the execution state:
//
//	$.target  Target       (validate)
//	$.skip    Skip         (self-skip)
//	$.cache   CacheResult  (cache check)
//	$.fetched Fetched      (fetch)
//	$.summary Summary      (scan)
//	$.stored  Stored       (store)
//	$.error   Failure      (any Catch)

// FetchInput is the fetch state's input.
type FetchInput struct {
	Target Target      `json:"target"`
	Cache  CacheResult `json:"cache"`
}

// ScanInput is the scan state's input.
type ScanInput struct {
	Target  Target  `json:"target"`
	Fetched Fetched `json:"fetched"`
}

// Outcomes of one execution, for store, tag, metrics and notify.
const (
	OutcomeScanned  = "scanned"
	OutcomeCacheHit = "cache-hit"
	OutcomeFailed   = "failed"
	// OutcomeGone: the function was deleted (DeleteFunction, or NotFound
	// when read); store resolves its open findings.
	OutcomeGone    = "gone"
	OutcomeDeleted = "deleted" // the function was deleted: recorded by store
)

// RecordInput is the input of store, tag, metrics and notify: what happened
// to the target. Summary is set when a scan ran; Error when it failed.
type RecordInput struct {
	Outcome string `json:"outcome"`
	// StartedAt is the execution's start ($$.Execution.StartTime): the
	// record's timestamp, the same on every retry, so store is idempotent.
	StartedAt string       `json:"startedAt"`
	Target    Target       `json:"target"`
	Cache     *CacheResult `json:"cache,omitempty"`
	Fetched   *Fetched     `json:"fetched,omitempty"`
	Summary   *Summary     `json:"summary,omitempty"`
	Stored    *Stored      `json:"stored,omitempty"`
	Error     *Failure     `json:"error,omitempty"`
}

// Stored is the store state's output.
type Stored struct {
	ReportKey string `json:"reportKey"`
	LatestKey string `json:"latestKey"`
	Status    string `json:"status"`
	// The function's SBOMs (SBOMKey of ReportKey; latest beside latest.json).
	CycloneDXKey string `json:"cyclonedxKey,omitempty"`
	SPDXKey      string `json:"spdxKey,omitempty"`
	// What the findings store changed: findings newly open, and closed.
	NewFindings      int `json:"newFindings,omitempty"`
	ResolvedFindings int `json:"resolvedFindings,omitempty"`
	// EventsError names events EventBridge did not take (the step does
	// not fail for them: the findings store has the change already).
	EventsError string `json:"eventsError,omitempty"`
	// SecurityHubError names findings Security Hub did not import.
	SecurityHubError string `json:"securityHubError,omitempty"`
	// Superseded: a newer execution's outcome is already recorded; this
	// attempt's report is stored, the cache item and latest.json are not
	// moved and the function is not tagged.
	Superseded bool `json:"superseded,omitempty"`
}

// Tagged is the tag state's output.
type Tagged struct {
	Tagged bool `json:"tagged"`
	// Unchanged: TagModeChanged found the tags already saying this outcome.
	Unchanged bool              `json:"unchanged,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// Notified is the notify state's output.
type Notified struct {
	Published bool   `json:"published"`
	MessageID string `json:"messageId,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// BulkRequest is the bulk workflow's input. The console's {} scans this
// account in the configured regions.
type BulkRequest struct {
	Accounts     []string `json:"accounts,omitempty"`
	Regions      []string `json:"regions,omitempty"`
	Exclude      []string `json:"exclude,omitempty"` // function name globs (path.Match)
	Force        bool     `json:"force,omitempty"`   // ignore the cache
	Organization bool     `json:"organization,omitempty"`
	AllVersions  bool     `json:"allVersions,omitempty"` // ListFunctions FunctionVersion=ALL
	// NoTags: the run's scans write no tags (TagResource is Lambda's 15 rps
	// bottleneck: 10,000 first tags take 11 minutes at the full limit).
	NoTags bool `json:"noTags,omitempty"`
}

// At is the record's timestamp: the execution's start, so a retried step
// writes the same keys and tags; else the scan's start, else now.
func (in RecordInput) At(now time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, in.StartedAt); err == nil {
		return t.UTC()
	}
	if in.Summary != nil && !in.Summary.ScannedAt.IsZero() {
		return in.Summary.ScannedAt
	}
	return now.UTC()
}

// Message is the failure's message: Lambda's errorMessage when the Cause is
// the Lambda error document, else the Cause as Step Functions gave it.
func (f Failure) Message() string {
	var cause struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(f.Cause), &cause) == nil && cause.ErrorMessage != "" {
		return cause.ErrorMessage
	}
	return f.Cause
}
