// Package bulkreport is the bulk workflow's report step: it reads every
// listed function's cache record, counts the outcomes, writes the summary
// to bulk/<run>/summary.json and publishes it.
package bulkreport

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/bulk"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// SNSAPI is the SNS call this step makes.
type SNSAPI interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Handler summarizes runs.
type Handler struct {
	Bucket   string
	TopicARN string
	S3       awsclient.S3API
	SNS      SNSAPI
	Cache    *cache.Table
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	return &Handler{Bucket: cfg.Bucket, TopicARN: cfg.TopicARN, S3: env.S3(), Cache: cache.Open(env, cfg),
		SNS: sns.NewFromConfig(env.Config, func(o *sns.Options) { o.BaseEndpoint = env.Base() })}
}

// maxListed caps the function lists in the summary message; the S3
// summary keeps them all.
const maxListed = 50

// Handle reads every item's cache record and counts the outcomes; it
// writes the summary to S3 and publishes it.
func (h *Handler) Handle(ctx context.Context, in bulk.SummaryInput) (bulk.Summary, error) {
	listing := in.State.Listing
	var items []bulk.Item
	if err := awsclient.GetJSON(ctx, h.S3, listing.Bucket, listing.Key, &items); err != nil {
		return bulk.Summary{}, awsclient.Classify("read bulk items", err)
	}
	arns := make([]string, len(items))
	for i, it := range items {
		arns[i] = it.FunctionArn
		if f, err := arn.Parse(it.FunctionArn, arn.Function{}); err == nil {
			arns[i] = f.ARN() // unqualified: the cache's key
		}
	}
	records, err := h.Cache.GetFunctions(ctx, arns)
	if err != nil {
		return bulk.Summary{}, err
	}
	started, _ := time.Parse(time.RFC3339Nano, in.StartedAt)
	s := bulk.Summary{RunID: in.RunID, Total: len(items), ByStatus: map[string]int{}}
	for _, a := range arns {
		r, ok := records[a]
		switch {
		case !ok:
			s.ByStatus["not-scanned"]++
			s.NotScanned = append(s.NotScanned, a)
			continue
		case r.Status == schema.StatusFailed && !r.ScannedAt.Before(started.Truncate(time.Second)):
			s.ByStatus["failed"]++
			s.Failed = append(s.Failed, a)
			continue
		case r.ScannedAt.Before(started.Truncate(time.Second)):
			s.ByStatus["cached"]++
		default:
			s.ByStatus[r.Status]++
		}
		switch r.MaxSeverity {
		case schema.LevelCritical:
			s.Critical = append(s.Critical, a)
		case schema.LevelHigh:
			s.High = append(s.High, a)
		}
	}
	if in.State.MapError != nil {
		s.MapError = in.State.MapError.Error
	}
	for _, l := range [][]string{s.Critical, s.High, s.Failed, s.NotScanned} {
		sort.Strings(l)
	}
	s.Key = contract.BulkSummaryKey(in.RunID)
	if err := awsclient.PutJSON(ctx, h.S3, h.Bucket, s.Key, s); err != nil {
		return bulk.Summary{}, err
	}
	if h.TopicARN != "" {
		short := s
		short.Critical, short.High, short.Failed, short.NotScanned = head(s.Critical), head(s.High), head(s.Failed), head(s.NotScanned)
		msg, _ := json.Marshal(short)
		status := "complete"
		if s.ByStatus["failed"]+s.ByStatus["not-scanned"] > 0 || s.MapError != "" {
			status = "failed"
		}
		if _, err := h.SNS.Publish(ctx, &sns.PublishInput{TopicArn: &h.TopicARN, Subject: aws.String("lambdascan: bulk run " + in.RunID),
			Message: aws.String(string(msg)), MessageAttributes: map[string]snstypes.MessageAttributeValue{
				"kind":   {DataType: aws.String("String"), StringValue: aws.String("bulk-summary")},
				"status": {DataType: aws.String("String"), StringValue: aws.String(status)},
			}}); err != nil {
			return bulk.Summary{}, awsclient.Classify("publish bulk summary", err)
		}
	}
	return trimmed(s), nil
}

// trimmed keeps the state output small: the lists live in S3.
func trimmed(s bulk.Summary) bulk.Summary {
	s.Critical, s.High, s.Failed, s.NotScanned = head(s.Critical), head(s.High), head(s.Failed), head(s.NotScanned)
	return s
}

func head(l []string) []string {
	if len(l) > maxListed {
		return l[:maxListed]
	}
	return l
}
