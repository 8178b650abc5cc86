package cache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdascan/lambdascan/shared/awsclient"
)

// RateLimit is a token bucket per account and region kept in the cache
// table, so every concurrent step Lambda shares one pace for Lambda's
// control plane (15 requests per second per account and region for all
// calls but GetFunction, shared with the customer's own tooling).
type RateLimit struct {
	Table *Table
	RPS   float64 // refill rate
	Burst float64 // bucket size (at least 1)
	Sleep func(context.Context, time.Duration) error
	// Scope names a separate bucket: GetFunction has its own 100 rps limit.
	Scope string
}

// Wait takes one token for account/region, sleeping until one is free.
func (r *RateLimit) Wait(ctx context.Context, account, region string) error {
	if r == nil || r.RPS <= 0 {
		return nil // no pace configured
	}
	burst := max(r.Burst, 1)
	key := map[string]types.AttributeValue{attrPK: str("rate#" + r.Scope + account + "/" + region)}
	for attempt := 0; ; attempt++ {
		out, err := r.Table.DDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &r.Table.Name, Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			return awsclient.Classify("rate limit read", err)
		}
		now := r.Table.now()
		tokens, version := burst, int64(0)
		last := now
		if out.Item != nil {
			tokens, _ = strconv.ParseFloat(getN(out.Item, "tokens"), 64)
			ns, _ := strconv.ParseInt(getN(out.Item, "updatedNs"), 10, 64)
			version, _ = strconv.ParseInt(getN(out.Item, "version"), 10, 64)
			last = time.Unix(0, ns)
			tokens = refill(tokens, last, now, r.RPS, burst)
		}
		if tokens < 1 {
			wait := time.Duration((1 - tokens) / r.RPS * float64(time.Second))
			if err := r.sleep(ctx, wait); err != nil {
				return err
			}
			continue
		}
		item := map[string]types.AttributeValue{
			attrPK: key[attrPK], "tokens": num2(tokens - 1), "updatedNs": num(now.UnixNano()), "version": num(version + 1),
			attrTTL: num(now.Add(time.Hour).Unix()),
		}
		put := &dynamodb.PutItemInput{TableName: &r.Table.Name, Item: item}
		if out.Item == nil {
			put.ConditionExpression = aws.String("attribute_not_exists(pk)")
		} else {
			put.ConditionExpression = aws.String("version = :v")
			put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": num(version)}
		}
		_, err = r.Table.DDB.PutItem(ctx, put)
		var cond *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return nil
		case errors.As(err, &cond):
			// Another step took a token in between: read again.
			if attempt > 1000 {
				return fmt.Errorf("rate limit for %s/%s: too much contention", account, region)
			}
			continue
		default:
			return awsclient.Classify("rate limit write", err)
		}
	}
}

func (r *RateLimit) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func num2(f float64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatFloat(f, 'f', 6, 64)}
}

// refill is the bucket's content at now. A writer whose clock is ahead
// (skew between Lambdas, or a test's clock) counts as one interval ago, so
// the bucket heals instead of waiting for that clock to come round.
func refill(tokens float64, last, now time.Time, rps, burst float64) float64 {
	if last.After(now) {
		last = now.Add(-time.Duration(float64(time.Second) / rps))
	}
	return min(burst, max(tokens, 0)+now.Sub(last).Seconds()*rps)
}
