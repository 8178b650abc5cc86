package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
)

// Store files the attempt under reports/<account>/<region>/<name>/<ts>.json
// and latest.json, and updates the cache item and the inventory record.
// Every attempt is stored, failed ones included. The timestamp is the
// execution's start, so a retried store writes the same keys.
func (d *Deps) Store(ctx context.Context, in contract.RecordInput) (contract.Stored, error) {
	at := d.startedAt(in)
	t := in.Target
	var r *report.Report
	if in.Summary != nil && in.Summary.ReportKey != "" {
		var err error
		if r, err = d.readReport(ctx, in.Summary.ReportKey); err != nil {
			return contract.Stored{}, awsclient.Classify("read scan report", err)
		}
	} else if in.Error != nil {
		r = d.failureReport(in, at)
	} else {
		return contract.Stored{}, &contract.InvalidEvent{Reason: "store: neither a scan summary nor an error"}
	}
	// The scan may be shared with another function deployed from the same
	// package: this copy is this function's.
	r.Target.Kind, r.Target.FunctionARN = "function", t.FunctionARN
	code := contract.Code{}
	if in.Fetched != nil {
		code = in.Fetched.Code
	} else if in.Cache != nil {
		code = in.Cache.Code
	}
	if code.CodeSha256 != "" {
		r.Target.CodeSha256, r.Target.Runtime = code.CodeSha256, code.Runtime
	}
	body, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return contract.Stored{}, err
	}
	key, latest := contract.ReportKey(t, at), contract.LatestReportKey(t)
	keys := []string{key, latest}
	if r.Status == report.StatusFailed {
		// The attempt is recorded under its own key; latest.json keeps
		// pointing at the last report that has findings to show.
		keys = []string{key}
	}
	for _, k := range keys {
		if _, err := d.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.Config.Bucket, Key: aws.String(k),
			Body: bytes.NewReader(body), ContentType: aws.String("application/json")}); err != nil {
			return contract.Stored{}, awsclient.Classify("write report", err)
		}
	}
	// The version the scan used, not the one cache check saw: the mirror
	// may have published in between.
	dbVersion := r.DB.Version
	if in.Summary != nil && in.Summary.DBVersion != "" {
		dbVersion = in.Summary.DBVersion
	} else if dbVersion == "" && in.Cache != nil {
		dbVersion = in.Cache.DBVersion
	}
	sev := r.Summary.BySeverity
	if err := d.Cache.PutFunction(ctx, cache.FunctionItem{FunctionARN: t.FunctionARN, Code: code, DBVersion: dbVersion,
		ScannedAt: at, Status: r.Status, ReportKey: key, MaxSeverity: r.Summary.MaxSeverity,
		Findings: fmt.Sprintf("C%d-H%d-M%d-L%d", sev["critical"], sev["high"], sev["medium"], sev["low"])}); err != nil {
		return contract.Stored{}, err
	}
	if r.Status != report.StatusFailed {
		purls := make([]string, 0, len(r.Packages))
		for _, p := range r.Packages {
			if p.PURL != "" {
				purls = append(purls, p.PURL)
			}
		}
		if err := d.Cache.PutInventory(ctx, cache.Inventory{FunctionARN: t.FunctionARN, ReportKey: key, PURLs: purls, ScannedAt: at}); err != nil {
			return contract.Stored{}, err
		}
	}
	return contract.Stored{ReportKey: key, LatestKey: latest, Status: r.Status}, nil
}

// failureReport is the record of an attempt that ended in an error.
func (d *Deps) failureReport(in contract.RecordInput, at time.Time) *report.Report {
	var cause struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal([]byte(in.Error.Cause), &cause)
	name, msg := in.Error.Error, cause.ErrorMessage
	if msg == "" {
		msg = in.Error.Cause
	}
	if name == "ScanFailed" {
		// "NotAZip: ..." names the engine's error more precisely.
		if n, m, ok := strings.Cut(msg, ": "); ok && !strings.Contains(n, " ") {
			name, msg = n, m
		}
	}
	r := &report.Report{
		Schema:  report.SchemaVersion,
		Target:  report.Target{Kind: "function", FunctionARN: in.Target.FunctionARN},
		Scanner: report.Scanner{Name: scan.Name, Version: scan.Version},
		Timings: report.Timings{StartedAt: at},
		Status:  report.StatusFailed,
		Error:   &report.Error{Name: name, Message: msg},
	}
	r.Summarize()
	return r
}

func (d *Deps) startedAt(in contract.RecordInput) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, in.StartedAt); err == nil {
		return t.UTC()
	}
	if in.Summary != nil && !in.Summary.ScannedAt.IsZero() {
		return in.Summary.ScannedAt
	}
	return d.now().UTC()
}
