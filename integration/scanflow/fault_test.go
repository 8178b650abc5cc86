package scanflow

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// The TestFault… tests inject faults at the local stack's proxy (between the
// handlers, the Step Functions engine, code downloads and the emulator) and
// check that the workflow still ends with exactly one of everything.

// uniqueZip copies the entries of a testdata package and adds a marker
// entry, so no other test has staged the same code; it returns the zip's
// path and the code bucket key the local stack uploads it to.
func uniqueZip(t *testing.T, base, marker string) (path, codeKey string) {
	t.Helper()
	zr, err := zip.OpenReader(pkg(base))
	require.NoError(t, err)
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		require.NoError(t, err)
		r, err := f.Open()
		require.NoError(t, err)
		_, err = io.Copy(w, r)
		r.Close()
		require.NoError(t, err)
	}
	w, err := zw.Create("marker.txt")
	require.NoError(t, err)
	w.Write([]byte(marker))
	require.NoError(t, zw.Close())
	path = filepath.Join(t.TempDir(), marker+".zip")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	sum := sha256.Sum256(buf.Bytes())
	return path, "code/" + hex.EncodeToString(sum[:]) + ".zip"
}

// faultFunction deploys java-shaded.zip (a critical finding: one SNS
// message) with a marker entry.
func faultFunction(t *testing.T, name string) (fnARN, codeKey string) {
	t.Helper()
	path, codeKey := uniqueZip(t, "java-shaded.zip", name)
	fnARN, err := env.CreateFunction(context.Background(), name, path, "java17", nil, nil)
	require.NoError(t, err)
	return fnARN, codeKey
}

// counts are the stack's counters a fault test compares before and after.
type counts struct{ scan, fetch, store, tag, metrics, getFunction, putMetricData int }

func snapshot() counts {
	s := env.Stack
	return counts{
		scan: s.Invocations(localstack.FunctionName("scan")), fetch: s.Invocations(localstack.FunctionName("fetch")),
		store: s.Invocations(localstack.FunctionName("store")), tag: s.Invocations(localstack.FunctionName("tag")),
		metrics: s.Invocations(localstack.FunctionName("metrics")), getFunction: s.Requests("lambda", "GetFunction"),
		putMetricData: s.Requests("monitoring", "PutMetricData"),
	}
}

func (c counts) since(before counts) counts {
	return counts{c.scan - before.scan, c.fetch - before.fetch, c.store - before.store, c.tag - before.tag,
		c.metrics - before.metrics, c.getFunction - before.getFunction, c.putMetricData - before.putMetricData}
}

// runFaulted emits a CreateFunction event and waits for its execution,
// which must succeed despite the faults.
func runFaulted(t *testing.T, fnARN string) (*output, string) {
	t.Helper()
	t.Cleanup(env.Stack.ClearFaults)
	return run(t, "CreateFunction20150331", fnARN)
}

// assertOnce: one report (and latest.json), one cache item pointing at it,
// one SNS message, metrics published once, one scan — and the one execution
// that ran left its record.
func assertOnce(t *testing.T, name, fnARN string, o *output, d counts) {
	t.Helper()
	ctx := context.Background()
	require.Equal(t, "scanned", o.Outcome)
	list, err := env.AWS.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(localstack.Bucket),
		Prefix: aws.String("reports/123456789012/eu-west-1/" + name + "/")})
	require.NoError(t, err)
	var keys []string
	for _, obj := range list.Contents {
		keys = append(keys, aws.ToString(obj.Key))
	}
	// The report, the function's own SBOM copies, and the latest pointers.
	assert.ElementsMatch(t, []string{o.Stored.ReportKey, o.Stored.LatestKey, contract.SBOMKey(o.Stored.ReportKey, contract.FormatCycloneDX),
		contract.SBOMKey(o.Stored.ReportKey, contract.FormatSPDX), contract.SBOMKey(o.Stored.LatestKey, contract.FormatCycloneDX), contract.SBOMKey(o.Stored.LatestKey, contract.FormatSPDX)},
		keys, "one report and the latest pointer")
	item, ok, err := env.Cache.GetFunction(ctx, fnARN)
	require.NoError(t, err)
	require.True(t, ok, "the cache item")
	assert.Equal(t, o.Stored.ReportKey, item.ReportKey)
	assert.Equal(t, "complete", item.Status)
	assert.Len(t, findingsMessages(t, name), 1, "one SNS message")
	assert.Equal(t, 1, d.scan, "scanned once")
	assert.Equal(t, 1, d.metrics, "metrics step once")
	assert.Equal(t, 1, d.putMetricData, "metrics published once")
}

// history lists the errors the execution's failed tasks reported.
func taskErrors(t *testing.T, exec string) []string {
	t.Helper()
	var out []string
	p := sfn.NewGetExecutionHistoryPaginator(env.AWS.SFN, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		require.NoError(t, err)
		for _, ev := range page.Events {
			switch {
			case ev.Type == sfntypes.HistoryEventTypeLambdaFunctionFailed && ev.LambdaFunctionFailedEventDetails != nil:
				out = append(out, aws.ToString(ev.LambdaFunctionFailedEventDetails.Error))
			case ev.Type == sfntypes.HistoryEventTypeLambdaFunctionTimedOut && ev.LambdaFunctionTimedOutEventDetails != nil:
				out = append(out, aws.ToString(ev.LambdaFunctionTimedOutEventDetails.Error))
			}
		}
	}
	return out
}

func pathHas(s string) func(*http.Request, []byte) bool {
	return func(r *http.Request, _ []byte) bool { return strings.Contains(r.URL.Path, s) }
}

// GetFunction throttled three times: the SDK's three attempts all fail, the
// Fetch step fails with TransientError, the ASL retries it, and the
// function is fetched and scanned once.
func TestFaultGetFunctionThrottled(t *testing.T) {
	fn, _ := faultFunction(t, "fault-getfunction")
	f := env.Stack.Inject(localstack.Fault{Service: "lambda", Operation: "GetFunction", Match: pathHas(":fault-getfunction"),
		Times: 3, Kind: localstack.Throttle, Code: "TooManyRequestsException"})
	before := snapshot()
	o, exec := runFaulted(t, fn)
	d := snapshot().since(before)
	assert.Len(t, f.Hits(), 3)
	assert.Equal(t, 1, d.getFunction, "the fourth GetFunction reached the emulator")
	assert.Equal(t, 2, d.fetch, "Fetch retried once by the ASL")
	assert.Contains(t, taskErrors(t, exec), "TransientError")
	assertOnce(t, "fault-getfunction", fn, o, d)
	t.Logf("GetFunction 429 TooManyRequestsException x%d: fetch invocations %d, GetFunction served %d, task errors %v", len(f.Hits()), d.fetch, d.getFunction, taskErrors(t, exec))
}

// The report's PutObject answers 503 ServiceUnavailable, then 503 SlowDown:
// the SDK retries within the one Store invocation and the report is stored once.
func TestFaultS3PutObject503(t *testing.T) {
	fn, _ := faultFunction(t, "fault-putobject")
	match := func(r *http.Request, _ []byte) bool {
		return strings.Contains(r.URL.Path, "/reports/") && strings.Contains(r.URL.Path, "/fault-putobject/")
	}
	f1 := env.Stack.Inject(localstack.Fault{Service: "s3", Operation: "PutObject", Match: match, Times: 1, Kind: localstack.ServerError, Status: 503})
	f2 := env.Stack.Inject(localstack.Fault{Service: "s3", Operation: "PutObject", Match: match, Times: 1, Kind: localstack.Throttle, Code: "SlowDown"})
	before := snapshot()
	o, exec := runFaulted(t, fn)
	d := snapshot().since(before)
	require.Len(t, f1.Hits(), 1)
	require.Len(t, f2.Hits(), 1)
	assert.Equal(t, f1.Hits()[0], f2.Hits()[0], "both faults hit the same object: the SDK retried it")
	assert.Equal(t, 1, d.store, "the SDK's retries stayed inside one Store invocation")
	assert.Empty(t, taskErrors(t, exec))
	assertOnce(t, "fault-putobject", fn, o, d)
	t.Logf("PutObject 503 ServiceUnavailable + 503 SlowDown on %s: store invocations %d", f1.Hits()[0], d.store)
}

// The cache item's PutItem is refused four times (ProvisionedThroughputExceeded
// twice, ThrottlingException, 500 InternalServerError): more than the SDK's
// three attempts, so Store fails with TransientError and the ASL runs it
// again; Store is idempotent, so there is still one report and one item.
func TestFaultDynamoDBThrottled(t *testing.T) {
	fn, _ := faultFunction(t, "fault-dynamodb")
	match := func(_ *http.Request, body []byte) bool {
		return bytes.Contains(body, []byte(`"fn#`+fn+`"`))
	}
	var faults []*localstack.Injected
	for _, f := range []localstack.Fault{
		{Kind: localstack.Throttle, Code: "ProvisionedThroughputExceededException", Times: 2},
		{Kind: localstack.Throttle, Code: "ThrottlingException", Times: 1},
		{Kind: localstack.ServerError, Status: 500, Times: 1},
	} {
		f.Service, f.Operation, f.Match = "dynamodb", "PutItem", match
		faults = append(faults, env.Stack.Inject(f))
	}
	before := snapshot()
	o, exec := runFaulted(t, fn)
	d := snapshot().since(before)
	hits := 0
	for _, f := range faults {
		hits += len(f.Hits())
	}
	assert.Equal(t, 4, hits)
	assert.Equal(t, 2, d.store, "Store retried once by the ASL")
	assert.Contains(t, taskErrors(t, exec), "TransientError")
	assertOnce(t, "fault-dynamodb", fn, o, d)
	t.Logf("PutItem of the cache item: 2x ProvisionedThroughputExceededException, ThrottlingException, 500: store invocations %d, task errors %v", d.store, taskErrors(t, exec))
}

// The presigned code download is reset half-way through the body: the
// Fetch step fails with TransientError, the ASL runs it again with a fresh
// GetFunction, and the code is staged and scanned once.
func TestFaultPresignedDownloadReset(t *testing.T) {
	fn, codeKey := faultFunction(t, "fault-download")
	f := env.Stack.Inject(localstack.Fault{Service: "s3", Operation: "GetObject", Times: 1, Kind: localstack.ResetMidBody,
		Match: func(r *http.Request, _ []byte) bool {
			return strings.HasSuffix(r.URL.Path, "/"+codeKey) && r.Header.Get("Authorization") == "" // presigned
		}})
	before := snapshot()
	o, exec := runFaulted(t, fn)
	d := snapshot().since(before)
	assert.Len(t, f.Hits(), 1)
	assert.Equal(t, 2, d.fetch, "Fetch retried once by the ASL")
	assert.Equal(t, 2, d.getFunction, "a fresh presigned URL for the second attempt")
	assert.Contains(t, taskErrors(t, exec), "TransientError")
	assertOnce(t, "fault-download", fn, o, d)
	t.Logf("presigned GetObject reset mid-body (%v): fetch invocations %d, GetFunction %d, task errors %v", f.Hits(), d.fetch, d.getFunction, taskErrors(t, exec))
}

// The Store Lambda hangs past its timeout once: Lambda answers
// Sandbox.Timedout and the ASL runs the step again.
func TestFaultStepLambdaTimesOut(t *testing.T) {
	fn, _ := faultFunction(t, "fault-timeout")
	store := localstack.FunctionName("store")
	env.Stack.SetFunctionTimeout(store, 2*time.Second)
	t.Cleanup(func() { env.Stack.SetFunctionTimeout(store, 0) })
	f := env.Stack.Inject(localstack.Fault{Service: "lambda", Operation: "Invoke", Match: pathHas(store + "/invocations"),
		Times: 1, Kind: localstack.Slow, Delay: 5 * time.Second})
	before := snapshot()
	o, exec := runFaulted(t, fn)
	d := snapshot().since(before)
	assert.Len(t, f.Hits(), 1)
	assert.Equal(t, 2, d.store, "the timed-out invocation and the retry")
	assert.Equal(t, []string{"Sandbox.Timedout"}, taskErrors(t, exec))
	assertOnce(t, "fault-timeout", fn, o, d)
	t.Logf("Invoke of %s held 5 s against a 2 s timeout: store invocations %d, task errors %v", store, d.store, taskErrors(t, exec))
}

// The Invoke call itself is throttled twice (429 TooManyRequestsException
// from the Lambda service, before the function runs): Step Functions names
// it Lambda.TooManyRequestsException and the ASL retries it.
func TestFaultInvokeThrottled(t *testing.T) {
	fn, _ := faultFunction(t, "fault-invoke")
	tag := localstack.FunctionName("tag")
	f := env.Stack.Inject(localstack.Fault{Service: "lambda", Operation: "Invoke", Match: pathHas(tag + "/invocations"),
		Times: 2, Kind: localstack.Throttle, Code: "TooManyRequestsException"})
	before := snapshot()
	o, exec := runFaulted(t, fn)
	d := snapshot().since(before)
	assert.Len(t, f.Hits(), 2)
	assert.Equal(t, 1, d.tag, "the throttled calls never ran the handler")
	assert.Equal(t, []string{"Lambda.TooManyRequestsException", "Lambda.TooManyRequestsException"}, taskErrors(t, exec))
	assertOnce(t, "fault-invoke", fn, o, d)
	t.Logf("Invoke of %s throttled x2: tag invocations %d, task errors %v", tag, d.tag, taskErrors(t, exec))
}

// The presigned code location answers 403, then 404: each is named
// (CodeLocationDenied) and Fetch is retried once with a fresh GetFunction;
// a third refusal would fail the attempt with that name.
func TestFaultPresignedDenied(t *testing.T) {
	fn, codeKey := faultFunction(t, "fault-denied")
	match := func(r *http.Request, _ []byte) bool {
		return strings.HasSuffix(r.URL.Path, "/"+codeKey) && r.Header.Get("Authorization") == ""
	}
	f := env.Stack.Inject(localstack.Fault{Service: "s3", Operation: "GetObject", Times: 1, Kind: localstack.ServerError, Status: 403, Match: match})
	before := snapshot()
	o, exec := runFaulted(t, fn)
	d := snapshot().since(before)
	assert.Len(t, f.Hits(), 1)
	assert.Equal(t, 2, d.fetch, "Fetch retried once by the ASL")
	assert.Equal(t, 2, d.getFunction, "with a fresh presigned location")
	assert.Equal(t, []string{"CodeLocationDenied"}, taskErrors(t, exec))
	assertOnce(t, "fault-denied", fn, o, d)

	// Refused on the retry too: the attempt fails with the name, recorded.
	fn2, codeKey2 := faultFunction(t, "fault-denied-twice")
	env.Stack.Inject(localstack.Fault{Service: "s3", Operation: "GetObject", Times: 2, Kind: localstack.ServerError, Status: 404,
		Match: func(r *http.Request, _ []byte) bool {
			return strings.HasSuffix(r.URL.Path, "/"+codeKey2) && r.Header.Get("Authorization") == ""
		}})
	ctx := context.Background()
	exec2, err := env.Emit(ctx, "CreateFunction20150331", fn2, "")
	require.NoError(t, err)
	out, err := env.Wait(ctx, exec2, 3*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, sfntypes.ExecutionStatusFailed, out.Status)
	assert.Equal(t, "CodeLocationDenied", aws.ToString(out.Error))
	onlyReport(t, "fault-denied-twice")
	t.Logf("presigned GetObject 403 once: fetch invocations %d, GetFunction %d, task errors %v; 404 twice: %s", d.fetch, d.getFunction, taskErrors(t, exec), aws.ToString(out.Error))
}
