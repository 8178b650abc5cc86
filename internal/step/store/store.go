// Package store is the scan workflow's Store step (and RecordFailure): it
// files every attempt under reports/<account>/<region>/<name>/<ts>.json and
// latest.json, and updates the cache item and the inventory record. It
// handles reports as documents (package schema's header, the rest kept as
// written) and builds a failed attempt's report with schema.Failed, so it
// links none of the engine.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// Handler files reports.
type Handler struct {
	Bucket string
	S3     awsclient.S3API
	Cache  *cache.Table
	Now    func() time.Time
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	return &Handler{Bucket: cfg.Bucket, S3: env.S3(), Cache: cache.Open(env, cfg), Now: time.Now}
}

// Handle stores the attempt. Every attempt is stored, failed ones included.
// The timestamp is the execution's start, so a retried store writes the
// same keys.
func (h *Handler) Handle(ctx context.Context, in contract.RecordInput) (contract.Stored, error) {
	at := in.At(h.Now())
	t := in.Target
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
	keys := []string{key, latest}
	if head.Status == schema.StatusFailed {
		// The attempt is recorded under its own key; latest.json keeps
		// pointing at the last report that has findings to show.
		keys = []string{key}
	}
	for _, k := range keys {
		if err := awsclient.PutBytes(ctx, h.S3, h.Bucket, k, body); err != nil {
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
	sev := head.Summary.BySeverity
	if err := h.Cache.PutFunction(ctx, cache.FunctionItem{FunctionARN: t.FunctionARN, Code: code, DBVersion: dbVersion,
		ScannedAt: at, Status: head.Status, ReportKey: key, MaxSeverity: head.Summary.MaxSeverity,
		Findings: fmt.Sprintf("C%d-H%d-M%d-L%d", sev["critical"], sev["high"], sev["medium"], sev["low"])}); err != nil {
		return contract.Stored{}, err
	}
	if head.Status != schema.StatusFailed {
		if purls == nil {
			purls = []string{}
		}
		if err := h.Cache.PutInventory(ctx, cache.Inventory{FunctionARN: t.FunctionARN, ReportKey: key, PURLs: purls, ScannedAt: at}); err != nil {
			return contract.Stored{}, err
		}
	}
	return contract.Stored{ReportKey: key, LatestKey: latest, Status: head.Status}, nil
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
