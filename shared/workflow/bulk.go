package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/bulk"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// BulkInput is the bulk enumerate step's input.
type BulkInput struct {
	Request bulk.Request `json:"request"`
	RunID   string       `json:"runId"` // the bulk execution's name
}

// BulkListing is where a run's items are: the Distributed Map reads them
// from S3, so 100,000 functions never pass through a state payload.
type BulkListing struct {
	Bucket         string      `json:"bucket"`
	Key            string      `json:"key"`
	Count          int         `json:"count"`
	Stats          bulk.Stats  `json:"stats"`
	Rates          []bulk.Rate `json:"rates"`
	MaxConcurrency int         `json:"maxConcurrency"`
	Tolerated      float64     `json:"toleratedFailurePercentage"`
}

// BulkSummaryInput is the summary step's input: the run's state, which
// holds $.mapError only when the Map failed.
type BulkSummaryInput struct {
	RunID     string `json:"runId"`
	StartedAt string `json:"startedAt"`
	State     struct {
		Listing  BulkListing       `json:"listing"`
		MapError *contract.Failure `json:"mapError,omitempty"`
	} `json:"state"`
}

// BulkSummary is a finished run.
type BulkSummary struct {
	RunID      string         `json:"runId"`
	Total      int            `json:"total"`
	ByStatus   map[string]int `json:"byStatus"` // complete, partial, failed, cached, not-scanned
	Critical   []string       `json:"critical,omitempty"`
	High       []string       `json:"high,omitempty"`
	Failed     []string       `json:"failed,omitempty"`
	NotScanned []string       `json:"notScanned,omitempty"`
	MapError   string         `json:"mapError,omitempty"`
	Key        string         `json:"key"`
}

// bulkClients adapts Deps to bulk.Clients: member accounts through their role.
type bulkClients struct{ d *Deps }

func (b bulkClients) Lambda(ctx context.Context, account, region string) (*lambda.Client, error) {
	return b.d.lambdaFor(ctx, account, region)
}

func (b bulkClients) Tagging(ctx context.Context, account, region string) (*resourcegroupstaggingapi.Client, error) {
	cfg, err := b.d.configFor(ctx, account, region)
	if err != nil {
		return nil, err
	}
	return resourcegroupstaggingapi.NewFromConfig(cfg, func(o *resourcegroupstaggingapi.Options) {
		if b.d.AWS.Endpoint != "" {
			o.BaseEndpoint = aws.String(b.d.AWS.Endpoint)
		}
	}), nil
}

func (b bulkClients) Organizations(ctx context.Context) (*organizations.Client, error) {
	return organizations.NewFromConfig(b.d.AWS.Config, func(o *organizations.Options) {
		if b.d.AWS.Endpoint != "" {
			o.BaseEndpoint = aws.String(b.d.AWS.Endpoint)
		}
	}), nil
}

// BulkEnumerate lists the run's functions into bulk/<run>/items.json.
func (d *Deps) BulkEnumerate(ctx context.Context, in BulkInput) (BulkListing, error) {
	c := d.Config
	lim := &bulk.Limiters{RPS: c.ControlPlaneRPS, Shared: d.Pace}
	e := &bulk.Enumerator{Clients: bulkClients{d}, Limits: lim, SelfFunctions: c.SelfFunctions, SelfTag: c.SelfTagKey,
		Account: c.Account, DefaultRegions: c.Regions}
	items, stats, err := e.Enumerate(ctx, in.Request)
	if err != nil {
		return BulkListing{}, awsclient.Classify("enumerate functions", err)
	}
	if items == nil {
		items = []bulk.Item{}
	}
	body, err := json.Marshal(items)
	if err != nil {
		return BulkListing{}, err
	}
	key := fmt.Sprintf("bulk/%s/items.json", in.RunID)
	if _, err := d.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &c.Bucket, Key: &key, Body: bytes.NewReader(body),
		ContentType: aws.String("application/json")}); err != nil {
		return BulkListing{}, awsclient.Classify("write bulk items", err)
	}
	return BulkListing{Bucket: c.Bucket, Key: key, Count: len(items), Stats: stats, Rates: lim.Rates(),
		MaxConcurrency: c.BulkMaxConcurrency, Tolerated: c.BulkToleratedFailurePercent}, nil
}

// maxListed caps the function lists in the summary message; the S3
// summary keeps them all.
const maxListed = 50

// BulkSummarize reads every item's cache record and counts the outcomes;
// it writes the summary to S3 and publishes it.
func (d *Deps) BulkSummarize(ctx context.Context, in BulkSummaryInput) (BulkSummary, error) {
	listing := in.State.Listing
	out, err := d.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &listing.Bucket, Key: &listing.Key})
	if err != nil {
		return BulkSummary{}, awsclient.Classify("read bulk items", err)
	}
	raw, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		return BulkSummary{}, err
	}
	var items []bulk.Item
	if err := json.Unmarshal(raw, &items); err != nil {
		return BulkSummary{}, fmt.Errorf("bulk items: %w", err)
	}
	arns := make([]string, len(items))
	for i, it := range items {
		arns[i] = unqualifiedARN(it.FunctionArn)
	}
	records, err := d.Cache.GetFunctions(ctx, arns)
	if err != nil {
		return BulkSummary{}, err
	}
	started, _ := time.Parse(time.RFC3339Nano, in.StartedAt)
	s := BulkSummary{RunID: in.RunID, Total: len(items), ByStatus: map[string]int{}}
	for _, a := range arns {
		r, ok := records[a]
		switch {
		case !ok:
			s.ByStatus["not-scanned"]++
			s.NotScanned = append(s.NotScanned, a)
			continue
		case r.Status == "failed" && !r.ScannedAt.Before(started.Truncate(time.Second)):
			s.ByStatus["failed"]++
			s.Failed = append(s.Failed, a)
			continue
		case r.ScannedAt.Before(started.Truncate(time.Second)):
			s.ByStatus["cached"]++
		default:
			s.ByStatus[r.Status]++
		}
		switch r.MaxSeverity {
		case "critical":
			s.Critical = append(s.Critical, a)
		case "high":
			s.High = append(s.High, a)
		}
	}
	if in.State.MapError != nil {
		s.MapError = in.State.MapError.Error
	}
	for _, l := range [][]string{s.Critical, s.High, s.Failed, s.NotScanned} {
		sort.Strings(l)
	}
	s.Key = fmt.Sprintf("bulk/%s/summary.json", in.RunID)
	body, _ := json.MarshalIndent(s, "", "  ")
	if _, err := d.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.Config.Bucket, Key: &s.Key, Body: bytes.NewReader(body),
		ContentType: aws.String("application/json")}); err != nil {
		return BulkSummary{}, awsclient.Classify("write bulk summary", err)
	}
	if d.Config.TopicARN != "" {
		short := s
		short.Critical, short.High, short.Failed, short.NotScanned = head(s.Critical), head(s.High), head(s.Failed), head(s.NotScanned)
		msg, _ := json.Marshal(short)
		status := "complete"
		if s.ByStatus["failed"]+s.ByStatus["not-scanned"] > 0 || s.MapError != "" {
			status = "failed"
		}
		if _, err := d.AWS.SNS.Publish(ctx, &sns.PublishInput{TopicArn: &d.Config.TopicARN, Subject: aws.String("lambdascan: bulk run " + in.RunID),
			Message: aws.String(string(msg)), MessageAttributes: map[string]snstypes.MessageAttributeValue{
				"kind":   {DataType: aws.String("String"), StringValue: aws.String("bulk-summary")},
				"status": {DataType: aws.String("String"), StringValue: aws.String(status)},
			}}); err != nil {
			return BulkSummary{}, awsclient.Classify("publish bulk summary", err)
		}
	}
	return trimmed(s), nil
}

// trimmed keeps the state output small: the lists live in S3.
func trimmed(s BulkSummary) BulkSummary {
	s.Critical, s.High, s.Failed, s.NotScanned = head(s.Critical), head(s.High), head(s.Failed), head(s.NotScanned)
	return s
}

func head(l []string) []string {
	if len(l) > maxListed {
		return l[:maxListed]
	}
	return l
}
