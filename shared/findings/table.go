package findings

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdascan/lambdascan/shared/awsclient"
)

// DynamoDB is the part of DynamoDB the store calls.
type DynamoDB interface {
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Table is the findings table.
type Table struct {
	DDB  DynamoDB
	Name string
	Now  func() time.Time
	// Backoff between retries of unprocessed batch items (default 50ms, doubling).
	Backoff time.Duration
	// Compare compares versions for range queries (Affected); only readers
	// that answer them set it.
	Compare Comparator
}

// Open is the findings table named name on env's DynamoDB.
func Open(env awsclient.Env, name string) *Table {
	return &Table{DDB: dynamodb.NewFromConfig(env.Config, func(o *dynamodb.Options) { o.BaseEndpoint = env.Base() }), Name: name}
}

func (t *Table) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

type item = map[string]types.AttributeValue

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func getS(it item, k string) string {
	if v, ok := it[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// rowItem is the item of a package (f nil) or of a finding under one of
// its ids.
func rowItem(fn Function, p Package, f *Finding, id string, since time.Time) item {
	it := item{
		"pk": s(pk(fn.ARN)), "fnv": s(fnv(fn)), "arn": s(fn.ARN), "ver": s(fn.Version), "acct": s(fn.Account),
		"region": s(fn.Region), "fn": s(fn.Name), "eco": s(p.Ecosystem), "name": s(p.Name), "pv": s(p.Version),
		"since": s(since.UTC().Format(time.RFC3339)),
	}
	if p.PURL != "" {
		it["purl"] = s(p.PURL)
	}
	if p.Layer != "" {
		it["layer"] = s(p.Layer)
	}
	if f == nil {
		it["sk"], it["pkg"], it["h"] = s(pkgSK(fn, p)), s(NameKey(p.Ecosystem, p.Name)), s(fingerprint([]any{fn, p}))
		return it
	}
	it["sk"], it["adv"], it["id"] = s(vulnSK(fn, id, p)), s(id), s(f.Advisory)
	it["h"] = s(fingerprint([]any{fn, f}))
	it["sevl"] = s(f.Severity)
	if id == f.Advisory {
		// bySeverity and byPackage hold each finding once (byPackage
		// answers "which versions of P, and what fixes them" in one query).
		it["sev"], it["pkg"] = s(f.Severity), s(NameKey(p.Ecosystem, p.Name))
		if p.Layer != "" {
			it["lyr"] = s(p.Layer) // byLayer: the findings in a layer version
		}
	}
	if len(f.Aliases) > 0 {
		it["aliases"] = &types.AttributeValueMemberSS{Value: dedupe(f.Aliases)}
	}
	if f.Fixed != "" {
		it["fixed"] = s(f.Fixed)
	}
	if f.Score > 0 {
		it["score"] = &types.AttributeValueMemberN{Value: strconv.FormatFloat(f.Score, 'f', -1, 64)}
	}
	if f.KEV {
		it["kev"] = &types.AttributeValueMemberBOOL{Value: true}
	}
	if f.Reachability != "" {
		it["reach"] = s(f.Reachability)
	}
	return it
}

// layerItem says the function version uses the layer version.
func layerItem(fn Function, layer string) item {
	return item{"pk": s(pk(fn.ARN)), "sk": s(layerSK(fn, layer)), "fnv": s(fnv(fn)), "arn": s(fn.ARN), "ver": s(fn.Version),
		"acct": s(fn.Account), "region": s(fn.Region), "fn": s(fn.Name), "layer": s(layer), "lyr": s(layer),
		"h": s(fingerprint([]any{fn, layer}))}
}

// rowOf reads a package, finding or layer item back.
func rowOf(it item) Row {
	r := Row{
		Function: Function{ARN: getS(it, "arn"), Version: getS(it, "ver"), Account: getS(it, "acct"), Region: getS(it, "region"), Name: getS(it, "fn")},
		Package:  Package{Ecosystem: getS(it, "eco"), Name: getS(it, "name"), Version: getS(it, "pv"), PURL: getS(it, "purl"), Layer: getS(it, "layer")},
	}
	r.Since, _ = time.Parse(time.RFC3339, getS(it, "since"))
	if id := getS(it, "id"); id != "" {
		f := &Finding{Advisory: id, Package: r.Package, Fixed: getS(it, "fixed"), Severity: getS(it, "sevl"), Reachability: getS(it, "reach")}
		if ss, ok := it["aliases"].(*types.AttributeValueMemberSS); ok {
			f.Aliases = ss.Value
		}
		if n, ok := it["score"].(*types.AttributeValueMemberN); ok {
			f.Score, _ = strconv.ParseFloat(n.Value, 64)
		}
		if b, ok := it["kev"].(*types.AttributeValueMemberBOOL); ok {
			f.KEV = b.Value
		}
		r.Finding = f
	}
	return r
}

func isCanonical(it item) bool { return getS(it, "adv") != "" && getS(it, "adv") == getS(it, "id") }

// Put replaces the version's packages and findings with the snapshot's,
// writing only what changed. A finding keeps the time it was first seen.
func (t *Table) Put(ctx context.Context, snap Snapshot) (Diff, error) {
	fn := snap.Function
	if fn.Version == "" {
		fn.Version = "$LATEST"
	}
	old, err := t.version(ctx, fn.ARN, fn.Version)
	if err != nil {
		return Diff{}, err
	}
	now := t.now()
	want := map[string]item{}
	since := func(sk string) time.Time {
		if o, ok := old[sk]; ok {
			if ts, err := time.Parse(time.RFC3339, getS(o, "since")); err == nil {
				return ts
			}
		}
		return now
	}
	for _, p := range snap.Packages {
		sk := pkgSK(fn, p)
		want[sk] = rowItem(fn, p, nil, "", since(sk))
	}
	for i := range snap.Findings {
		f := snap.Findings[i]
		canonical := vulnSK(fn, f.Advisory, f.Package)
		for _, id := range f.ids() {
			want[vulnSK(fn, id, f.Package)] = rowItem(fn, f.Package, &f, id, since(canonical))
		}
	}
	layers := map[string]bool{}
	for _, l := range snap.Layers {
		layers[l] = true
	}
	for _, p := range snap.Packages {
		if p.Layer != "" {
			layers[p.Layer] = true
		}
	}
	for l := range layers {
		it := layerItem(fn, l)
		want[getS(it, "sk")] = it
	}
	meta := item{"pk": s(pk(fn.ARN)), "sk": s(metaSK(fn)), "fnv": s(fnv(fn)), "arn": s(fn.ARN), "ver": s(fn.Version),
		"acct": s(fn.Account), "region": s(fn.Region), "fn": s(fn.Name), "code": s(snap.CodeSha256),
		"packages": &types.AttributeValueMemberN{Value: strconv.Itoa(len(snap.Packages))},
		"findings": &types.AttributeValueMemberN{Value: strconv.Itoa(len(snap.Findings))}}
	// The meta item says what code the items describe; the report key
	// and scan time change on every scan and live in the cache item.
	meta["h"] = s(fingerprint([]any{fn, snap.CodeSha256, len(snap.Packages), len(snap.Findings)}))
	want[metaSK(fn)] = meta

	var d Diff
	var writes []types.WriteRequest
	for sk, it := range want {
		o, ok := old[sk]
		if ok && getS(o, "h") == getS(it, "h") {
			d.Unchanged++
			continue
		}
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		if !ok && isCanonical(it) {
			d.New = append(d.New, rowOf(it))
		}
	}
	d.Written = len(writes)
	for sk, o := range old {
		if _, ok := want[sk]; ok {
			continue
		}
		if !snap.Complete {
			d.Kept++
			continue
		}
		writes = append(writes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: item{"pk": o["pk"], "sk": o["sk"]}}})
		d.Deleted++
		if isCanonical(o) {
			d.Resolved = append(d.Resolved, rowOf(o))
		}
	}
	return d, t.write(ctx, writes)
}

// Resolve deletes every item of the function (version "" : every version):
// a deleted function has no open findings. The findings it had are in
// Diff.Resolved.
func (t *Table) Resolve(ctx context.Context, functionARN, version string) (Diff, error) {
	var d Diff
	var writes []types.WriteRequest
	err := t.query(ctx, t.functionQuery(functionARN, version), func(it item) bool {
		writes = append(writes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: item{"pk": it["pk"], "sk": it["sk"]}}})
		if isCanonical(it) {
			d.Resolved = append(d.Resolved, rowOf(it))
		}
		return true
	})
	if err != nil {
		return Diff{}, err
	}
	d.Deleted = len(writes)
	return d, t.write(ctx, writes)
}

func (t *Table) functionQuery(functionARN, version string) *dynamodb.QueryInput {
	in := &dynamodb.QueryInput{TableName: &t.Name, KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: item{":pk": s(pk(functionARN))}, ConsistentRead: aws.Bool(true)}
	if version != "" {
		in.KeyConditionExpression = aws.String("pk = :pk AND begins_with(sk, :v)")
		in.ExpressionAttributeValues[":v"] = s(versionPrefix(version))
	}
	return in
}

// version reads the items of one function version by sort key.
func (t *Table) version(ctx context.Context, arn, version string) (map[string]item, error) {
	out := map[string]item{}
	err := t.query(ctx, t.functionQuery(arn, version), func(it item) bool {
		out[getS(it, "sk")] = it
		return true
	})
	return out, err
}

// query runs a query through every page.
func (t *Table) query(ctx context.Context, in *dynamodb.QueryInput, each func(item) bool) error {
	for {
		out, err := t.DDB.Query(ctx, in)
		if err != nil {
			return awsclient.Classify("findings query", err)
		}
		for _, it := range out.Items {
			if !each(it) {
				return nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// write sends the requests 25 at a time, retrying unprocessed items with
// backoff.
func (t *Table) write(ctx context.Context, reqs []types.WriteRequest) error {
	backoff := t.Backoff
	if backoff == 0 {
		backoff = 50 * time.Millisecond
	}
	for start := 0; start < len(reqs); start += 25 {
		batch := reqs[start:min(start+25, len(reqs))]
		for attempt := 0; len(batch) > 0; attempt++ {
			if attempt > 8 {
				return &UnprocessedError{Items: len(batch)}
			}
			out, err := t.DDB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{t.Name: batch}})
			if err != nil {
				return awsclient.Classify("findings write", err)
			}
			batch = out.UnprocessedItems[t.Name]
			if len(batch) > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(backoff << attempt):
				}
			}
		}
	}
	return nil
}

// UnprocessedError: DynamoDB kept refusing some writes (throttled).
type UnprocessedError struct{ Items int }

func (e *UnprocessedError) Error() string {
	return fmt.Sprintf("findings write: %d items still unprocessed after retries", e.Items)
}

func dedupe(v []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range v {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
