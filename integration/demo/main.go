// Command demo runs the scan workflow on the local AWS stack, as `make demo`:
// it deploys the scanner, creates sample functions (testdata/packages, plus
// the ../shared corpus when present), fires the CloudTrail events, waits for
// the executions and prints a findings table per function, where the reports
// are, and what each step cost.
package main

import (
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
	"github.com/lambdascan/lambdascan/shared/report"
)

type sample struct {
	name, zip, runtime string
	layers             []string // zips published as layers
}

func main() {
	shared := flag.String("shared", "../shared", "the shared reference folder (corpus and OSV data), used when present")
	flag.Parse()
	if err := run(*shared); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(shared string) error {
	ctx := context.Background()
	t0 := time.Now()
	stack, err := localstack.Start(ctx)
	if err != nil {
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
	env, err := localstack.Deploy(ctx, stack, localstack.Options{OSVDir: export, Ecosystems: ecos})
	if err != nil {
		return fmt.Errorf("deploy: %w\n%s", err, stack.Logs())
	}
	defer env.Close()
	fmt.Printf("local stack up and scanner deployed in %s (moto + Step Functions engine, vuln DB mirrored from %s: %s)\n",
		time.Since(t0).Round(time.Millisecond), osvDir, strings.Join(ecos, ", "))

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

	// One function at a time: the first execution meets cold handlers (the
	// scan step downloads the vuln index), the others warm ones, and no two
	// executions compete for the single-threaded emulator.
	cold := map[string][]time.Duration{}
	warm := map[string][]time.Duration{}
	var moved []int64
	for i, s := range samples {
		var layers []string
		for j, l := range s.layers {
			arn, err := env.PublishLayer(ctx, fmt.Sprintf("%s-layer-%d", s.name, j), l)
			if err != nil {
				return err
			}
			layers = append(layers, arn)
		}
		fn, err := env.CreateFunction(ctx, s.name, s.zip, s.runtime, layers, nil)
		if err != nil {
			return fmt.Errorf("create %s: %w", s.name, err)
		}
		exec, err := env.Emit(ctx, "CreateFunction20150331", fn, "")
		if err != nil {
			return err
		}
		out, err := env.Wait(ctx, exec, 2*time.Minute)
		if err != nil {
			return err
		}
		fmt.Printf("\n== %s: execution %s\n", s.name, out.Status)
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
		r, err := readReport(ctx, env, o.Stored.ReportKey)
		if err != nil {
			return err
		}
		if err := report.WriteTable(os.Stdout, r); err != nil {
			return err
		}
		fmt.Printf("reports: s3://%s/%s (and latest.json), SBOMs: s3://%s/%s, s3://%s/%s\n",
			localstack.Bucket, o.Stored.ReportKey, localstack.Bucket, o.Summary.CycloneDX, localstack.Bucket, o.Summary.SPDX)
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
	fmt.Printf("demo done in %s\n", time.Since(t0).Round(time.Millisecond))
	return nil
}

func readReport(ctx context.Context, env *localstack.Env, key string) (*report.Report, error) {
	out, err := env.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(localstack.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, err
	}
	var r report.Report
	return &r, json.Unmarshal(b, &r)
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
