// Package store is the scan workflow's Store step (and RecordFailure): it
// files every attempt under reports/<account>/<region>/<name>/<ts>.json and
// latest.json, with the function's own copies of the SBOMs beside them, and updates the cache item and the inventory record. It
// handles reports as documents (package schema's header, the rest kept as
// written) and builds a failed attempt's report with schema.Failed, so it
// links none of the engine.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/eventbus"
	"github.com/lambdascan/lambdascan/shared/findings"
	"github.com/lambdascan/lambdascan/shared/report/schema"
	"github.com/lambdascan/lambdascan/shared/securityhub"
)

// Handler files reports.
type Handler struct {
	Bucket string
	S3     awsclient.S3API
	Cache  *cache.Table
	// Findings is the fleet's findings store; nil when the stack has none.
	Findings *findings.Table
	// Events publishes findings changes and completed scans to EventBridge;
	// nil when the stack publishes none.
	Events *eventbus.Publisher
	// SecurityHub imports findings changes as ASFF; nil when switched off.
	SecurityHub *securityhub.Importer
	Now         func() time.Time
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	h := &Handler{Bucket: cfg.Bucket, S3: env.S3(), Cache: cache.Open(env, cfg), Now: time.Now}
	if cfg.FindingsTable != "" {
		h.Findings = findings.Open(env, cfg.FindingsTable)
	}
	if cfg.EventBus != "" {
		h.Events = eventbus.Open(env, cfg.EventBus)
	}
	if cfg.SecurityHub {
		h.SecurityHub = securityhub.Open(env, cfg.Partition, cfg.Region, cfg.Account)
	}
	return h
}

// Handle stores the attempt. Every attempt is stored, failed ones included.
// The timestamp is the execution's start, so a retried store writes the
// same keys.
func (h *Handler) Handle(ctx context.Context, in contract.RecordInput) (contract.Stored, error) {
	if in.Outcome == contract.OutcomeGone {
		d, err := h.Gone(ctx, in.Target)
		return contract.Stored{ResolvedFindings: len(d.Resolved)}, err
	}
	at := in.At(h.Now())
	t := in.Target
	if in.Outcome == contract.OutcomeDeleted {
		return h.deleted(ctx, t, at)
	}
	code := contract.Code{}
	if in.Fetched != nil {
		code = in.Fetched.Code
	} else if in.Cache != nil {
		code = in.Cache.Code
	}
	var head schema.Header
	var body []byte
	var purls []string
	switch {
	case in.Summary != nil && in.Summary.ReportKey != "":
		raw, err := h.read(ctx, in.Summary.ReportKey)
		if err != nil {
			return contract.Stored{}, err
		}
		var doc struct {
			schema.Header
			Packages []struct {
				PURL string `json:"purl"`
			} `json:"packages"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return contract.Stored{}, fmt.Errorf("report %s: %w", in.Summary.ReportKey, err)
		}
		head = doc.Header
		for _, p := range doc.Packages {
			if p.PURL != "" {
				purls = append(purls, p.PURL)
			}
		}
		// The scan may be shared with another function deployed from the
		// same package: this copy is this function's.
		head.Target.Kind, head.Target.FunctionARN = schema.KindFunction, t.FunctionARN
		if code.CodeSha256 != "" {
			head.Target.CodeSha256, head.Target.Runtime = code.CodeSha256, code.Runtime
		}
		if body, err = withTarget(raw, head.Target); err != nil {
			return contract.Stored{}, fmt.Errorf("report %s: %w", in.Summary.ReportKey, err)
		}
	case in.Error != nil:
		// The error's name is the failing call's (the Lambda errorType).
		target := schema.Target{Kind: schema.KindFunction, FunctionARN: t.FunctionARN, CodeSha256: code.CodeSha256, Runtime: code.Runtime}
		head = schema.Failed(target, at, schema.ErrorName(in.Error.Error), in.Error.Message())
		var err error
		if body, err = json.MarshalIndent(head, "", "  "); err != nil {
			return contract.Stored{}, err
		}
	default:
		return contract.Stored{}, &contract.InvalidEvent{Reason: "store: neither a scan summary nor an error"}
	}
	key, latest := contract.ReportKey(t, at), contract.LatestReportKey(t)
	// Every attempt is recorded under its own key, whatever finished first.
	if err := awsclient.PutBytes(ctx, h.S3, h.Bucket, key, body); err != nil {
		return contract.Stored{}, err
	}
	var cdxKey, spdxKey string
	var sboms []sbomCopy
	if in.Summary != nil && head.Status != schema.StatusFailed {
		var err error
		if cdxKey, spdxKey, sboms, err = h.storeSBOMs(ctx, in.Summary, key, identityOf(t, head.Target, at)); err != nil {
			return contract.Stored{}, err
		}
	}
	// The version the scan used, not the one cache check saw: the mirror
	// may have published in between.
	dbVersion := head.DB.Version
	if in.Summary != nil && in.Summary.DBVersion != "" {
		dbVersion = in.Summary.DBVersion
	} else if dbVersion == "" && in.Cache != nil {
		dbVersion = in.Cache.DBVersion
	}
	// Newest wins: an execution that started before the one the cache item
	// records (it finished later: a slow scan, a retry) keeps its own report
	// but moves neither the item nor latest.json, and the tag step leaves
	// the function's tags to the newer outcome.
	newest, err := h.Cache.PutFunction(ctx, cache.FunctionItem{FunctionARN: t.FunctionARN, Code: code, DBVersion: dbVersion,
		ScannedAt: at, StartedAt: at, Status: head.Status, ReportKey: key, MaxSeverity: head.Summary.MaxSeverity,
		Findings: schema.FindingsTag(head.Summary.BySeverity, head.Summary.KEV)})
	if err != nil {
		return contract.Stored{}, err
	}
	if !newest {
		return contract.Stored{ReportKey: key, LatestKey: latest, Status: head.Status, Superseded: true, CycloneDXKey: cdxKey, SPDXKey: spdxKey}, nil
	}
	if head.Status != schema.StatusFailed {
		// latest.json keeps pointing at the last report that has findings
		// to show: a failed attempt does not move it.
		written, err := h.putLatest(ctx, latest, body, at)
		if err != nil {
			return contract.Stored{}, err
		}
		if written {
			if err := h.putLatestSBOMs(ctx, latest, sboms); err != nil {
				return contract.Stored{}, err
			}
		}
		if purls == nil {
			purls = []string{}
		}
		if err := h.Cache.PutInventory(ctx, cache.Inventory{FunctionARN: t.FunctionARN, ReportKey: key, PURLs: purls, ScannedAt: at}); err != nil {
			return contract.Stored{}, err
		}
	}
	stored := contract.Stored{ReportKey: key, LatestKey: latest, Status: head.Status, CycloneDXKey: cdxKey, SPDXKey: spdxKey}
	var diff findings.Diff
	if h.Findings != nil && head.Status != schema.StatusFailed {
		var err error
		if diff, err = h.putFindings(ctx, t, code, key, at, body); err != nil {
			return contract.Stored{}, err
		}
		stored.NewFindings, stored.ResolvedFindings = len(diff.New), len(diff.Resolved)
	}
	// As for events: the diff is stored, so a retry would import nothing;
	// what Security Hub refuses is named, not retried by failing the step.
	if h.SecurityHub != nil {
		if err := h.SecurityHub.Import(ctx, h.SecurityHub.Diff(diff, at)); err != nil {
			stored.SecurityHubError = err.Error()
		}
	}
	if h.Events != nil {
		fn := FunctionOf(t)
		sum := head.Summary
		events := append(eventbus.Diff(diff, key, eventbus.ReasonFixed, at), eventbus.Event{DetailType: eventbus.ScanCompleted,
			Resource: t.FunctionARN, Time: at, Detail: eventbus.Scan{Account: fn.Account, Region: fn.Region, FunctionARN: fn.ARN,
				FunctionName: fn.Name, Version: fn.Version, Status: head.Status, ReportKey: key, CycloneDXKey: cdxKey, SPDXKey: spdxKey,
				Packages: sum.Packages, Findings: sum.Findings, BySeverity: sum.BySeverity, MaxSeverity: sum.MaxSeverity, KEV: sum.KEV,
				NewFindings: stored.NewFindings, ResolvedFindings: stored.ResolvedFindings, DBVersion: dbVersion}})
		// The findings store has the diff already: a retried store would
		// find nothing new, so an event that cannot be put is named here
		// instead of failing the step.
		if err := h.Events.Put(ctx, events); err != nil {
			stored.EventsError = err.Error()
		}
	}
	return stored, nil
}

// putFindings writes the function version's packages and findings to the
// findings store as a diff.
func (h *Handler) putFindings(ctx context.Context, t contract.Target, code contract.Code, key string, at time.Time, report []byte) (findings.Diff, error) {
	snap := findings.Snapshot{Function: FunctionOf(t), CodeSha256: code.CodeSha256, ReportKey: key, ScannedAt: at, Layers: code.Layers}
	if err := findings.FromReport(report, &snap); err != nil {
		return findings.Diff{}, err
	}
	return h.Findings.Put(ctx, snap)
}

// FunctionOf is the target's function version in the findings store.
func FunctionOf(t contract.Target) findings.Function {
	v := t.Qualifier
	if v == "" {
		v = "$LATEST"
	}
	return findings.Function{ARN: t.FunctionARN, Version: v, Account: t.Account, Region: t.Region, Name: t.Name}
}

// Gone resolves the findings of a function that no longer exists
// (DeleteFunction, or NotFound when read): every version, or only the
// target's qualifier when it names one.
func (h *Handler) Gone(ctx context.Context, t contract.Target) (findings.Diff, error) {
	if h.Findings == nil {
		return findings.Diff{}, nil
	}
	d, err := h.Findings.Resolve(ctx, t.FunctionARN, t.Qualifier)
	if err != nil {
		return d, err
	}
	if h.SecurityHub != nil {
		if err := h.SecurityHub.Import(ctx, h.SecurityHub.Diff(d, h.Now())); err != nil {
			return d, err
		}
	}
	if h.Events != nil {
		return d, h.Events.Put(ctx, eventbus.Diff(d, "", eventbus.ReasonDeleted, h.Now()))
	}
	return d, nil
}

// deletionSchema names the record of a deleted function.
const deletionSchema = "lambdascan.deletion/v1"

// deleted records a function's deletion under its own key, and marks the
// cache item (newest wins, like a scan) so no later bulk summary counts
// the function's last scan as current. latest.json keeps the last scan:
// what the function shipped until it was deleted.
func (h *Handler) deleted(ctx context.Context, t contract.Target, at time.Time) (contract.Stored, error) {
	key := contract.ReportKey(t, at)
	body, err := json.MarshalIndent(map[string]any{"schema": deletionSchema, "functionArn": t.FunctionARN, "status": contract.OutcomeDeleted,
		"deletedAt": at.Format(time.RFC3339Nano), "trigger": t.Trigger, "eventId": t.EventID}, "", "  ")
	if err != nil {
		return contract.Stored{}, err
	}
	if err := awsclient.PutBytes(ctx, h.S3, h.Bucket, key, body); err != nil {
		return contract.Stored{}, err
	}
	newest, err := h.Cache.PutFunction(ctx, cache.FunctionItem{FunctionARN: t.FunctionARN, ScannedAt: at, StartedAt: at,
		Status: contract.OutcomeDeleted, ReportKey: key})
	if err != nil {
		return contract.Stored{}, err
	}
	// The function's open findings are resolved (and archived in Security
	// Hub) whatever the order of events: a deleted function ships nothing.
	d, err := h.Gone(ctx, t)
	if err != nil {
		return contract.Stored{}, err
	}
	return contract.Stored{ReportKey: key, Status: contract.OutcomeDeleted, Superseded: !newest, ResolvedFindings: len(d.Resolved)}, nil
}

// startedAtMeta is latest.json's metadata naming the execution start of
// the report it holds.
const startedAtMeta = "started-at"

// putLatest writes latest.json unless it holds a report of a newer
// execution, with S3's conditional writes: If-None-Match for a first
// report, else If-Match on the ETag just read, so two executions storing at
// once cannot both win, and the loser reads again. The first try needs no
// read (a HeadObject of a missing key is 403, not 404, without
// s3:ListBucket).
func (h *Handler) putLatest(ctx context.Context, key string, body []byte, at time.Time) (written bool, err error) {
	var ifMatch *string
	for attempt := 0; attempt < 5; attempt++ {
		in := &s3.PutObjectInput{Bucket: &h.Bucket, Key: &key, Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
			ContentType: aws.String("application/json"), Metadata: map[string]string{startedAtMeta: at.Format(time.RFC3339Nano)}}
		if ifMatch == nil {
			in.IfNoneMatch = aws.String("*")
		} else {
			in.IfMatch = ifMatch
		}
		_, err := h.S3.PutObject(ctx, in)
		if err == nil {
			return true, nil
		}
		if !preconditionFailed(err) {
			return false, awsclient.Classify("write "+key, err)
		}
		head, err := h.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &h.Bucket, Key: &key})
		if err != nil {
			if awsclient.IsNotFound(err) {
				ifMatch = nil // deleted in between
				continue
			}
			return false, awsclient.Classify("read "+key, err)
		}
		if cur, perr := time.Parse(time.RFC3339Nano, head.Metadata[startedAtMeta]); perr == nil && cur.After(at) {
			return false, nil // a newer execution's report is there
		}
		ifMatch = head.ETag
	}
	return false, &contract.TransientError{Op: "write " + key, Err: fmt.Errorf("changed under every conditional write")}
}

// preconditionFailed is S3's answer to a conditional write that lost
// (412), or to two racing ones (409 ConditionalRequestConflict).
func preconditionFailed(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "PreconditionFailed" || api.ErrorCode() == "ConditionalRequestConflict")
}

func (h *Handler) read(ctx context.Context, key string) ([]byte, error) {
	out, err := h.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &h.Bucket, Key: &key})
	if err != nil {
		return nil, awsclient.Classify("read scan report", err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return b, awsclient.Classify("read scan report", err)
}

// withTarget is the report document with its target replaced; every other
// member stays as the scan wrote it, in its order.
func withTarget(raw []byte, t schema.Target) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for n := 0; dec.More(); n++ {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, err
		}
		if tok == "target" {
			if val, err = json.Marshal(t); err != nil {
				return nil, err
			}
		}
		name, _ := json.Marshal(tok)
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(val)
	}
	buf.WriteByte('}')
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
