package hostile_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/hostile"
	"github.com/lambdascan/lambdascan/internal/scancli"
	"github.com/lambdascan/lambdascan/shared/image"
	"github.com/lambdascan/lambdascan/shared/imagerun"
	"github.com/lambdascan/lambdascan/shared/imagescan"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// Budgets every input must end within (issue 14: any zip up to 50 MB).
const (
	maxCPU    = 10 * time.Second
	maxRSSKiB = 256 << 10
)

const (
	childInput = "LAMBDASCAN_HOSTILE_INPUT"
	childDB    = "LAMBDASCAN_HOSTILE_DB"
)

// TestMain doubles as the child that scans one input, so that each scan's
// peak RSS and CPU are its own (read from rusage by the parent).
func TestMain(m *testing.M) {
	if in := os.Getenv(childInput); in != "" {
		os.Exit(child(in, os.Getenv(childDB)))
	}
	os.Exit(m.Run())
}

func child(in, dbPath string) int {
	ctx := context.Background()
	db, err := vulndb.Open(dbPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var r *report.Report
	if scancli.KindOf(in) == scancli.KindImage {
		tgt := report.Target{Kind: "image", Path: in}
		img, _, err := image.Open(ctx, in, image.Options{})
		if err != nil {
			r = scan.RunWith(ctx, db, tgt, scan.Options{}, func(context.Context, *report.Report) (*inventory.Result, error) { return nil, err })
		} else {
			r = imagerun.Run(ctx, db, tgt, img, imagerun.Options{MaxLayerBytes: imagescan.DefaultOptions().MaxLayerBytes})
		}
	} else {
		r = scancli.ScanZip(ctx, db, report.Target{}, in, nil)
	}
	if err := json.NewEncoder(os.Stdout).Encode(childResult{Report: r, PeakRSSKiB: peakRSS()}); err != nil {
		return 2
	}
	return 0
}

type childResult struct {
	Report     *report.Report `json:"report"`
	PeakRSSKiB int64          `json:"peak_rss_kib"`
}

// peakRSS is this process's VmHWM. rusage's Maxrss is no good here: Go
// starts children with vfork, and exec records the parent's high-water mark
// as the child's starting Maxrss (here the generator's 190 MB).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			return ru.Maxrss
		}
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kib)
			return kib
		}
	}
	return 0
}

type expectation struct{ status, reason, find string }

func expectations(t *testing.T) map[string]expectation {
	f, err := os.Open("../../testdata/hostile/EXPECTED.tsv")
	require.NoError(t, err)
	defer f.Close()
	out := map[string]expectation{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		require.Len(t, f, 4, "EXPECTED.tsv: %q", line)
		_, dup := out[f[0]]
		require.False(t, dup, "EXPECTED.tsv names %s twice", f[0])
		out[f[0]] = expectation{f[1], f[2], f[3]}
	}
	require.NoError(t, sc.Err())
	return out
}

type outcome struct {
	report   report.Report
	wall     time.Duration
	cpu      time.Duration
	rssKiB   int64
	childErr string
}

func run(t *testing.T, in, db string) outcome {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childInput+"="+in, childDB+"="+db)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	o := outcome{wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		o.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if err != nil {
		o.childErr = fmt.Sprintf("%v: %s", err, stderr.String())
		return o
	}
	res := childResult{Report: &o.report}
	if err := json.Unmarshal(out, &res); err != nil {
		o.childErr = err.Error()
	}
	o.rssKiB = res.PeakRSSKiB
	return o
}

// reasonOf is what the table shows: the error name or the reason codes.
func reasonOf(r report.Report) string {
	if r.Error != nil {
		return string(r.Error.Name)
	}
	var codes []string
	for _, p := range r.Reasons {
		if !slices.Contains(codes, p.Code) {
			codes = append(codes, p.Code)
		}
	}
	if len(codes) == 0 {
		return "-"
	}
	return strings.Join(codes, ",")
}

func TestHostileCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and scans the hostile corpus")
	}
	want := expectations(t)
	dir := t.TempDir()
	cases := hostile.Cases()
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
		_, ok := want[c.Name]
		assert.True(t, ok, "%s has no expectation in EXPECTED.tsv", c.Name)
	}
	for n := range want {
		assert.Contains(t, names, n, "EXPECTED.tsv names %s, which the generator does not build", n)
	}
	require.NoError(t, hostile.Generate(dir))
	db := filepath.Join(dir, "osv.lsdb")
	_, err := vulndb.BuildFile(context.Background(), vulndb.BuildOptions{Sources: []string{"../../testdata/osv"}}, db)
	require.NoError(t, err)

	var table strings.Builder
	fmt.Fprintf(&table, "\n%-34s | %-8s | %-36s | %9s | %8s | %8s\n", "input", "status", "reason", "wall", "cpu", "peak RSS")
	for _, c := range cases {
		exp := want[c.Name]
		o := run(t, filepath.Join(dir, c.Name), db)
		r := o.report
		fmt.Fprintf(&table, "%-34s | %-8s | %-36s | %8.2fs | %7.2fs | %5d MB\n", c.Name, r.Status, reasonOf(r), o.wall.Seconds(), o.cpu.Seconds(), o.rssKiB>>10)
		t.Run(c.Name, func(t *testing.T) {
			require.Empty(t, o.childErr)
			assert.Equal(t, exp.status, r.Status)
			assert.LessOrEqual(t, o.cpu, maxCPU, "CPU budget")
			assert.LessOrEqual(t, o.rssKiB, int64(maxRSSKiB), "peak RSS budget (KiB)")
			switch exp.status {
			case report.StatusFailed:
				require.NotNil(t, r.Error)
				assert.Equal(t, exp.reason, string(r.Error.Name))
			case report.StatusPartial:
				found := false
				for _, p := range r.Reasons {
					if p.Code == exp.reason {
						found = true
						assert.NotEmpty(t, p.Path, "a %s reason names its path", p.Code)
					}
				}
				assert.True(t, found, "no %s reason in %+v", exp.reason, r.Reasons)
			case report.StatusComplete:
				assert.Empty(t, r.Reasons)
			}
			if exp.find != "-" {
				var got []string
				for _, p := range r.Packages {
					got = append(got, p.Name+"@"+p.Version)
				}
				assert.Contains(t, got, exp.find)
			}
		})
	}
	t.Log(table.String())
}
