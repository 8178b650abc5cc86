// Command demo runs the scan workflow on the local AWS stack, as `make demo`:
// it deploys the scanner, creates sample functions (testdata/packages, plus
// the ../shared corpus when present), fires a CloudTrail event for each,
// waits for the executions, prints a findings table per function, copies
// every report and SBOM (and an HTML report) to demo-out/<function>/, and
// says what each step cost and what to try next.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/internal/scancli"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

type sample struct {
	name, zip, runtime string
	layers             []string // zips published as layers
}

// event is the CloudTrail event the demo fires for every function, as
// EventBridge delivers it to the scan rule.
const event = "CreateFunction20150331"

func main() {
	shared := flag.String("shared", "../shared", "the shared reference folder (corpus and OSV data), used when present")
	out := flag.String("out", "demo-out", "where every report, SBOM and HTML report is written, one folder per function")
	flag.Parse()
	if err := run(*shared, *out); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

// wait prints what it waits for, runs fn, and says how long it took; a wait
// past 5 s says so every 5 s, so no stretch of the demo is silent.
func wait(what string, fn func() error) error {
	fmt.Printf("… %s\n", what)
	start := time.Now()
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				fmt.Printf("  … %s\n", time.Since(start).Round(time.Second))
			}
		}
	}()
	err := fn()
	close(done)
	if err == nil {
		fmt.Printf("  done in %s\n", time.Since(start).Round(100*time.Millisecond))
	}
	return err
}

func run(shared, outDir string) error {
	ctx := context.Background()
	t0 := time.Now()
	if err := os.RemoveAll(outDir); err != nil {
		return err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	var stack *localstack.Stack
	if err := wait("starting the local AWS stack (moto_server with its Step Functions engine, on loopback)", func() (err error) {
		stack, err = localstack.Start(ctx)
		return err
	}); err != nil {
		return err
	}
	defer stack.Stop()
	osvDir := filepath.Join(shared, "osv")
	if _, err := os.Stat(osvDir); err != nil {
		osvDir = "testdata/osv"
	}
	export, ecos, err := localstack.ExportDir(osvDir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(export)
	var env *localstack.Env
	if err := wait(fmt.Sprintf("deploying the scanner: buckets, cache table, state machines, EventBridge rule; vuln DB mirrored from %s (%s)", osvDir, strings.Join(ecos, ", ")), func() (err error) {
		env, err = localstack.Deploy(ctx, stack, localstack.Options{OSVDir: export, Ecosystems: ecos})
		if err != nil {
			return fmt.Errorf("deploy: %w\n%s", err, stack.Logs())
		}
		return nil
	}); err != nil {
		return err
	}
	defer env.Close()
	dbPath := filepath.Join(outDir, "osv.lsdb")
	if err := wait("building the same vuln DB for the CLI: "+dbPath, func() error {
		_, err := vulndb.BuildFile(ctx, vulndb.BuildOptions{Sources: []string{osvDir}}, dbPath)
		return err
	}); err != nil {
		return err
	}

	samples := []sample{
		{"orders-api", "testdata/packages/node-api.zip", "nodejs20.x", nil},
		{"billing", "testdata/packages/python-requirements.zip", "python3.11", []string{"testdata/packages/layer-python-yaml.zip"}},
		{"renderer", "testdata/packages/node-bundle.zip", "nodejs20.x", nil},
		{"reports-java", "testdata/packages/java-shaded.zip", "java17", nil},
	}
	corpus := filepath.Join(shared, "corpus")
	for _, c := range []struct{ zip, runtime string }{
		{"node20-express-api", "nodejs20.x"}, {"python311-pip-target", "python3.11"}, {"go-al2023-arm64-gin", "provided.al2023"}, {"java17-lib-jars", "java17"},
	} {
		if _, err := os.Stat(filepath.Join(corpus, c.zip+".zip")); err == nil {
			samples = append(samples, sample{c.zip, filepath.Join(corpus, c.zip+".zip"), c.runtime, nil})
		}
	}
	color, width := scancli.Terminal(os.Stdout)

	// One function at a time: the first execution meets cold handlers (the
	// scan step downloads the vuln index), the others warm ones, and no two
	// executions compete for the single-threaded emulator.
	cold := map[string][]time.Duration{}
	warm := map[string][]time.Duration{}
	var moved []int64
	var fired []string
	htmlReport, topFinding := "", ""
	for i, s := range samples {
		fmt.Printf("\n== %s (%s, %s)\n", s.name, s.runtime, s.zip)
		var layers []string
		for j, l := range s.layers {
			arn, err := env.PublishLayer(ctx, fmt.Sprintf("%s-layer-%d", s.name, j), l)
			if err != nil {
				return err
			}
			fmt.Printf("published layer %s from %s\n", arn, l)
			layers = append(layers, arn)
		}
		fn, err := env.CreateFunction(ctx, s.name, s.zip, s.runtime, layers, nil)
		if err != nil {
			return fmt.Errorf("create %s: %w", s.name, err)
		}
		exec, err := env.Emit(ctx, event, fn, "")
		if err != nil {
			return err
		}
		fired = append(fired, fn)
		fmt.Printf("created %s and fired the CloudTrail event %s (EventBridge rule → state machine lambdascan-scan)\n", fn, event)
		var out *sfn.DescribeExecutionOutput
		what := "waiting for execution " + exec[strings.LastIndexByte(exec, ':')+1:]
		if i == 0 {
			what += " (the first one downloads the vuln DB into the scan step)"
		}
		if err := wait(what, func() (err error) {
			out, err = env.Wait(ctx, exec, 2*time.Minute)
			return err
		}); err != nil {
			return err
		}
		fmt.Printf("execution %s\n", out.Status)
		if out.Status != sfntypes.ExecutionStatusSucceeded {
			fmt.Printf("   %s: %s\n", aws.ToString(out.Error), aws.ToString(out.Cause))
			continue
		}
		var o struct {
			Stored struct {
				ReportKey string `json:"reportKey"`
			} `json:"stored"`
			Summary struct {
				CycloneDX string `json:"cyclonedxKey"`
				SPDX      string `json:"spdxKey"`
			} `json:"summary"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &o); err != nil {
			return err
		}
		fmt.Println()
		r, files, err := save(ctx, env, filepath.Join(outDir, s.name), o.Stored.ReportKey, o.Summary.CycloneDX, o.Summary.SPDX)
		if err != nil {
			return err
		}
		if err := report.WriteTableWith(os.Stdout, r, report.TableOptions{Color: color, Width: width}); err != nil {
			return err
		}
		fmt.Printf("written: %s\n", strings.Join(files, ", "))
		if htmlReport == "" && len(r.Findings) > 0 {
			htmlReport = files[1]
		}
		if topFinding == "" && len(r.Findings) > 0 {
			topFinding = r.Findings[0].ID // risk order: the one to ask about first
		}
		times := warm
		if i == 0 {
			times = cold
		}
		b, err := stepTimes(ctx, env, exec, times)
		if err != nil {
			return err
		}
		moved = append(moved, b)
	}

	fmt.Printf("\n== step durations on the local stack: the first scan (cold handlers) and the median of the other %d (warm)\n", len(samples)-1)
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tCOLD ms\tWARM ms")
	for _, st := range []string{"Validate", "SelfSkip", "CacheCheck", "Fetch", "Scan", "Store", "Tag", "Metrics", "Notify"} {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\n", st, median(cold[st]), median(warm[st]))
	}
	tw.Flush()
	sort.Slice(moved, func(i, j int) bool { return moved[i] < moved[j] })
	var total int64
	for _, b := range moved {
		total += b
	}
	if len(moved) > 0 {
		fmt.Printf("bytes staged per scan (function zip + layers): median %d, total %d over %d scans\n", moved[len(moved)/2], total, len(moved))
	}
	fmt.Printf("\nCloudTrail events fired: %d × %s (AWS API Call via CloudTrail, source lambda.amazonaws.com), one per function: %s\n",
		len(fired), event, strings.Join(names(samples), ", "))
	fmt.Printf("reports, SBOMs and HTML reports: %s/<function>/ (the emulated bucket is gone when the demo exits)\n", outDir)
	fmt.Printf("demo done in %s\n\n", time.Since(t0).Round(time.Millisecond))
	fmt.Printf("next: bin/lambdascan scan --db %s testdata/packages/node-api.zip\n", dbPath)
	if htmlReport != "" {
		fmt.Printf("next: xdg-open %s   (macOS: open)\n", htmlReport)
	}
	if topFinding != "" {
		// The findings store of a deployed stack (the demo's is gone with it).
		fmt.Printf("next: bin/lambdascan affected %s   (after cdk deploy, with AWS credentials: which functions ship it)\n", topFinding)
	} else {
		fmt.Printf("next: bin/lambdascan scan --db %s --format html --output billing.html --layer testdata/packages/layer-python-yaml.zip testdata/packages/python-requirements.zip\n", dbPath)
	}
	return nil
}

func names(samples []sample) []string {
	var out []string
	for _, s := range samples {
		out = append(out, s.name)
	}
	return out
}

// save copies the stored report and SBOMs out of the emulated bucket into
// dir and renders the HTML report beside them.
func save(ctx context.Context, env *localstack.Env, dir, reportKey, cdxKey, spdxKey string) (*report.Report, []string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	var files []string
	for _, f := range []struct{ key, name string }{{reportKey, "report.json"}, {cdxKey, "sbom.cdx.json"}, {spdxKey, "sbom.spdx.json"}} {
		if f.key == "" {
			continue
		}
		b, err := readObject(ctx, env, f.key)
		if err != nil {
			return nil, nil, fmt.Errorf("s3://%s/%s: %w", localstack.Bucket, f.key, err)
		}
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, nil, err
		}
		files = append(files, p)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		return nil, nil, err
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, nil, err
	}
	var h bytes.Buffer
	if err := report.WriteHTML(&h, &r); err != nil {
		return nil, nil, err
	}
	p := filepath.Join(dir, "report.html")
	if err := os.WriteFile(p, h.Bytes(), 0o644); err != nil {
		return nil, nil, err
	}
	files = append(files[:1], append([]string{p}, files[1:]...)...)
	return &r, files, nil
}

func readObject(ctx context.Context, env *localstack.Env, key string) ([]byte, error) {
	out, err := env.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(localstack.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// stepTimes adds each Task state's duration (entered to exited) to times and
// returns the bytes the fetch step staged.
func stepTimes(ctx context.Context, env *localstack.Env, exec string, times map[string][]time.Duration) (int64, error) {
	h, err := env.AWS.SFN.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec), MaxResults: 1000})
	if err != nil {
		return 0, err
	}
	entered := map[string]time.Time{}
	var bytes int64
	for _, ev := range h.Events {
		switch {
		case ev.StateEnteredEventDetails != nil:
			entered[aws.ToString(ev.StateEnteredEventDetails.Name)] = aws.ToTime(ev.Timestamp)
		case ev.StateExitedEventDetails != nil:
			name := aws.ToString(ev.StateExitedEventDetails.Name)
			if start, ok := entered[name]; ok {
				times[name] = append(times[name], aws.ToTime(ev.Timestamp).Sub(start))
			}
			if name == "Fetch" {
				var o struct {
					Fetched struct {
						Bytes int64 `json:"bytes"`
					} `json:"fetched"`
				}
				_ = json.Unmarshal([]byte(aws.ToString(ev.StateExitedEventDetails.Output)), &o)
				bytes = o.Fetched.Bytes
			}
		}
	}
	return bytes, nil
}

func median(d []time.Duration) float64 {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)/2].Microseconds()) / 1000
}
