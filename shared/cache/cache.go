// Package cache is the DynamoDB table that spares rescans: one item per
// function (what was last scanned and with which DB), one per layer version
// (immutable, so cached for good) and one inventory record per function.
// Expiry is checked here: DynamoDB deletes expired items lazily, days late.
package cache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// Attribute names. "ttl" is the table's TTL attribute (epoch seconds).
const (
	attrPK      = "pk"
	attrTTL     = "ttl"
	attrStarted = "startedAt" // the recording execution's start, ns: newest wins
)

// DynamoDB is the part of DynamoDB the cache calls (tests fake it).
type DynamoDB interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Table wraps the cache table.
type Table struct {
	DDB  DynamoDB
	Name string
	TTL  time.Duration
	Now  func() time.Time
}

func (t *Table) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// FunctionItem is what was last scanned for a function.
type FunctionItem struct {
	FunctionARN string
	Code        contract.Code
	DBVersion   string
	ScannedAt   time.Time
	StartedAt   time.Time // the execution's start, full precision (ScannedAt is whole seconds); zero: ScannedAt
	Status      string
	ReportKey   string
	ExpiresAt   time.Time
	Findings    string // "C1-H2-M1-L0-U0-K0" (schema.FindingsTag), for bulk summaries
	MaxSeverity string
}

// Hit reports whether the item covers this code and DB and is not expired.
// A failed scan never counts: it must be retried.
func (it FunctionItem) Hit(code contract.Code, dbVersion string, now time.Time) bool {
	return it.Code.CodeSha256 == code.CodeSha256 &&
		it.Code.Runtime == code.Runtime &&
		it.Code.PackageType == code.PackageType &&
		slices.Equal(it.Code.Layers, code.Layers) &&
		it.DBVersion == dbVersion &&
		now.Before(it.ExpiresAt) &&
		it.Status != "failed" && it.Status != ""
}

// GetFunction reads a function's item; ok is false when there is none.
func (t *Table) GetFunction(ctx context.Context, functionARN string) (FunctionItem, bool, error) {
	out, err := t.DDB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &t.Name,
		Key:            map[string]types.AttributeValue{attrPK: str("fn#" + functionARN)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return FunctionItem{}, false, awsclient.Classify("cache get", err)
	}
	if out.Item == nil {
		return FunctionItem{}, false, nil
	}
	it := FunctionItem{
		FunctionARN: functionARN,
		Code: contract.Code{
			CodeSha256:  getS(out.Item, "codeSha256"),
			Runtime:     getS(out.Item, "runtime"),
			PackageType: getS(out.Item, "packageType"),
			Layers:      getL(out.Item, "layers"),
		},
		DBVersion: getS(out.Item, "dbVersion"),
	}
	fillFunction(&it, out.Item)
	return it, true, nil
}

func fillFunction(it *FunctionItem, item map[string]types.AttributeValue) {
	it.Status, it.ReportKey = getS(item, "status"), getS(item, "reportKey")
	it.Findings, it.MaxSeverity = getS(item, "findings"), getS(item, "maxSeverity")
	it.ScannedAt, _ = time.Parse(time.RFC3339, getS(item, "scannedAt"))
	if n, err := strconv.ParseInt(getN(item, attrTTL), 10, 64); err == nil {
		it.ExpiresAt = time.Unix(n, 0)
	}
}

// GetFunctions reads many functions' items (100 per BatchGetItem); missing
// functions are absent from the map.
func (t *Table) GetFunctions(ctx context.Context, functionARNs []string) (map[string]FunctionItem, error) {
	out := map[string]FunctionItem{}
	for start := 0; start < len(functionARNs); start += 100 {
		end := min(start+100, len(functionARNs))
		keys := make([]map[string]types.AttributeValue, 0, end-start)
		for _, a := range functionARNs[start:end] {
			keys = append(keys, map[string]types.AttributeValue{attrPK: str("fn#" + a)})
		}
		req := map[string]types.KeysAndAttributes{t.Name: {Keys: keys, ProjectionExpression: aws.String("functionArn, #s, reportKey, findings, maxSeverity, scannedAt, #t"),
			ExpressionAttributeNames: map[string]string{"#s": "status", "#t": attrTTL}}}
		for len(req) > 0 {
			res, err := t.DDB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, awsclient.Classify("cache batch get", err)
			}
			for _, item := range res.Responses[t.Name] {
				it := FunctionItem{FunctionARN: getS(item, "functionArn")}
				fillFunction(&it, item)
				out[it.FunctionARN] = it
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// PutFunction records a scan (idempotent: the same scan writes the same
// item) unless the item holds a newer one: an execution that started
// before the recorded one never replaces it (ok false). Executions are
// ordered by start time (nanoseconds, attribute startedAt); items written
// before the attribute existed are replaced.
func (t *Table) PutFunction(ctx context.Context, it FunctionItem) (ok bool, err error) {
	if it.ExpiresAt.IsZero() {
		it.ExpiresAt = it.ScannedAt.Add(t.TTL)
	}
	if it.StartedAt.IsZero() {
		it.StartedAt = it.ScannedAt
	}
	layers := make([]types.AttributeValue, 0, len(it.Code.Layers))
	for _, l := range it.Code.Layers {
		layers = append(layers, str(l))
	}
	_, err = t.DDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.Name, Item: map[string]types.AttributeValue{
		attrPK:        str("fn#" + it.FunctionARN),
		"functionArn": str(it.FunctionARN),
		"codeSha256":  str(it.Code.CodeSha256),
		"runtime":     str(it.Code.Runtime),
		"packageType": str(it.Code.PackageType),
		"layers":      &types.AttributeValueMemberL{Value: layers},
		"dbVersion":   str(it.DBVersion),
		"scannedAt":   str(it.ScannedAt.UTC().Format(time.RFC3339)),
		"status":      str(it.Status),
		"reportKey":   str(it.ReportKey),
		"findings":    str(it.Findings),
		"maxSeverity": str(it.MaxSeverity),
		attrStarted:   num(it.StartedAt.UnixNano()),
		attrTTL:       num(it.ExpiresAt.Unix()),
	}, ConditionExpression: aws.String("attribute_not_exists(#s) OR #s <= :s"),
		ExpressionAttributeNames:  map[string]string{"#s": attrStarted},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": num(it.StartedAt.UnixNano())},
	})
	var cond *types.ConditionalCheckFailedException
	if errors.As(err, &cond) {
		return false, nil
	}
	return err == nil, awsclient.Classify("cache put", err)
}

// LayerItem is a staged layer version.
type LayerItem struct {
	LayerARN   string
	CodeSha256 string
	StagedKey  string
	Size       int64
}

// GetLayer reads a layer version's staging record.
func (t *Table) GetLayer(ctx context.Context, layerARN string) (LayerItem, bool, error) {
	out, err := t.DDB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &t.Name, Key: map[string]types.AttributeValue{attrPK: str("layer#" + layerARN)},
	})
	if err != nil {
		return LayerItem{}, false, awsclient.Classify("cache get layer", err)
	}
	if out.Item == nil {
		return LayerItem{}, false, nil
	}
	size, _ := strconv.ParseInt(getN(out.Item, "size"), 10, 64)
	return LayerItem{LayerARN: layerARN, CodeSha256: getS(out.Item, "codeSha256"), StagedKey: getS(out.Item, "stagedKey"), Size: size}, true, nil
}

// PutLayer records a staged layer version; a version never changes, so the
// item has no TTL.
func (t *Table) PutLayer(ctx context.Context, it LayerItem) error {
	_, err := t.DDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.Name, Item: map[string]types.AttributeValue{
		attrPK: str("layer#" + it.LayerARN), "codeSha256": str(it.CodeSha256), "stagedKey": str(it.StagedKey), "size": num(it.Size),
	}})
	return awsclient.Classify("cache put layer", err)
}

// Inventory is the function → packages record kept for later queries
// ("which functions ship log4j-core 2.14.1?").
type Inventory struct {
	FunctionARN string
	ReportKey   string
	PURLs       []string
	ScannedAt   time.Time
}

// maxInventoryPURLs keeps the item well under DynamoDB's 400 KB limit; the
// full list is always in the report the item points at.
const maxInventoryPURLs = 2000

// PutInventory writes the function's inventory record.
func (t *Table) PutInventory(ctx context.Context, inv Inventory) error {
	purls := inv.PURLs
	truncated := len(purls) > maxInventoryPURLs
	if truncated {
		purls = purls[:maxInventoryPURLs]
	}
	item := map[string]types.AttributeValue{
		attrPK: str("inv#" + inv.FunctionARN), "functionArn": str(inv.FunctionARN), "reportKey": str(inv.ReportKey),
		"scannedAt": str(inv.ScannedAt.UTC().Format(time.RFC3339)), "packageCount": num(int64(len(inv.PURLs))),
		"truncated": &types.AttributeValueMemberBOOL{Value: truncated},
	}
	if len(purls) > 0 {
		item["purls"] = &types.AttributeValueMemberSS{Value: dedupe(purls)}
	}
	_, err := t.DDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &t.Name, Item: item})
	return awsclient.Classify("inventory put", err)
}

// GetInventory reads a function's inventory record.
func (t *Table) GetInventory(ctx context.Context, functionARN string) (Inventory, bool, error) {
	out, err := t.DDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &t.Name, Key: map[string]types.AttributeValue{attrPK: str("inv#" + functionARN)}})
	if err != nil || out.Item == nil {
		return Inventory{}, false, awsclient.Classify("inventory get", err)
	}
	inv := Inventory{FunctionARN: functionARN, ReportKey: getS(out.Item, "reportKey")}
	if ss, ok := out.Item["purls"].(*types.AttributeValueMemberSS); ok {
		inv.PURLs = ss.Value
	}
	return inv, true, nil
}

func dedupe(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(n int64) types.AttributeValue  { return &types.AttributeValueMemberN{Value: fmt.Sprint(n)} }

func getS(it map[string]types.AttributeValue, k string) string {
	if v, ok := it[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func getN(it map[string]types.AttributeValue, k string) string {
	if v, ok := it[k].(*types.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}

func getL(it map[string]types.AttributeValue, k string) []string {
	l, ok := it[k].(*types.AttributeValueMemberL)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(l.Value))
	for _, v := range l.Value {
		if s, ok := v.(*types.AttributeValueMemberS); ok {
			out = append(out, s.Value)
		}
	}
	return out
}
