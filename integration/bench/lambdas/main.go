// Command lambdas is make bench-lambdas: for every step Lambda, the size of
// its bootstrap as deployed (linux/arm64, CGO_ENABLED=0, -trimpath,
// -tags lambda.norpc, -ldflags "-s -w"), the number of packages it links,
// and the median time from exec to its first request to the Lambda Runtime
// API (GET /2018-06-01/runtime/invocation/next) on a loopback fake of that
// API, for a build of the same flags for this machine. A bare aws-lambda-go
// handler built the same way is measured in the same run, round-robin with
// the steps, as the yardstick; the ratio is the step's median over the
// bare handler's. It also measures the alternative of one binary holding
// every light step (lightmux, chosen by _HANDLER).
//
// Targets: light steps ≤ 12 MB and ≤ 2.5× the bare handler; scan, fetch
// and mirror ≤ 35 MB. A missed target names the step and exits 1.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lambdascan/lambdascan/shared/contract"
)

const (
	mb         = 1000 * 1000
	lightMax   = 12 * mb
	heavyMax   = 35 * mb
	ratioMax   = 2.5
	bareName   = "bare"
	muxName    = "lightmux"
	benchPkg   = "./integration/bench/lambdas/"
	nextPath   = "/2018-06-01/runtime/invocation/next"
	flagsShown = `-trimpath -tags lambda.norpc -ldflags "-s -w"`
)

type target struct {
	name, pkg, handler string
	light              bool
	step               bool // a deployed step (targets apply)
	size               int64
	pkgs               int
	times              []time.Duration
}

func main() {
	runs := flag.Int("runs", 9, "start-up runs per binary (median)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "bench-lambdas-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)

	targets := []*target{{name: bareName, pkg: benchPkg + "bare"}}
	for _, st := range contract.Steps {
		targets = append(targets, &target{name: st.Name, pkg: "./steps/" + st.Name, light: st.Light, step: true})
	}
	// lightmux started as each light step in turn would be: measured as validate.
	targets = append(targets, &target{name: muxName, pkg: benchPkg + "lightmux", handler: contract.StepValidate, light: true})

	for _, t := range targets {
		arm := filepath.Join(dir, "arm64", t.name)
		if err := build(t.pkg, arm, "linux", "arm64"); err != nil {
			fatal(err)
		}
		st, err := os.Stat(arm)
		if err != nil {
			fatal(err)
		}
		t.size = st.Size()
		if t.pkgs, err = countPackages(t.pkg); err != nil {
			fatal(err)
		}
		if err := build(t.pkg, filepath.Join(dir, "host", t.name), runtime.GOOS, runtime.GOARCH); err != nil {
			fatal(err)
		}
	}

	api, err := newFakeAPI()
	if err != nil {
		fatal(err)
	}
	defer api.close()
	tmp := filepath.Join(dir, "tmp")
	os.MkdirAll(tmp, 0o755)
	for i := 0; i < *runs; i++ {
		for _, t := range targets {
			d, err := api.startUp(filepath.Join(dir, "host", t.name), t, tmp)
			if err != nil {
				fatal(fmt.Errorf("%s: %w", t.name, err))
			}
			t.times = append(t.times, d)
		}
	}

	bare := median(targets[0].times)
	fmt.Printf("linux/arm64 %s, CGO_ENABLED=0; start-up: median of %d on %s/%s, exec to first %s\n\n",
		flagsShown, *runs, runtime.GOOS, runtime.GOARCH, nextPath)
	w := os.Stdout
	fmt.Fprintln(w, "| step | kind | arm64 MB | packages | start-up ms | × bare | target |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---|")
	var missed []string
	for _, t := range targets {
		m := median(t.times)
		ratio := float64(m) / float64(bare)
		kind, goal, ok := "", "", true
		switch {
		case t.name == bareName:
			kind, goal = "yardstick", "-"
		case t.light:
			kind, goal = "light", "≤ 12 MB, ≤ 2.5×"
			ok = t.size <= lightMax && ratio <= ratioMax
		default:
			kind, goal = "engine", "≤ 35 MB"
			ok = t.size <= heavyMax
		}
		if t.name == muxName {
			kind = "light, shared"
		}
		mark := goal
		if !ok {
			mark += " MISSED"
			if t.step {
				missed = append(missed, t.name)
			}
		}
		fmt.Fprintf(w, "| %s | %s | %.2f | %d | %.1f | %.2f | %s |\n", t.name, kind, float64(t.size)/mb, t.pkgs,
			float64(m.Microseconds())/1000, ratio, mark)
	}
	var total int64
	for _, t := range targets {
		if t.step {
			total += t.size
		}
	}
	fmt.Printf("\nall step bootstraps: %.1f MB\n", float64(total)/mb)
	if len(missed) > 0 {
		fmt.Printf("targets missed: %s\n", strings.Join(missed, ", "))
		os.Exit(1)
	}
}

func build(pkg, out, goos, goarch string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s for %s/%s: %w", pkg, goos, goarch, err)
	}
	return nil
}

// countPackages counts the packages the linux/arm64 build links (standard
// library included).
func countPackages(pkg string) (int, error) {
	cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc", pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("go list %s: %w", pkg, err)
	}
	return len(strings.Fields(string(out))), nil
}

// fakeAPI is the Lambda Runtime API's first endpoint: it notes when a
// process asks for its first event and never answers (the process is
// killed then).
type fakeAPI struct {
	srv  *http.Server
	addr string
	mu   sync.Mutex
	hit  chan time.Time
}

func newFakeAPI() (*fakeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &fakeAPI{addr: ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc(nextPath, func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		a.mu.Lock()
		ch := a.hit
		a.mu.Unlock()
		if ch != nil {
			select {
			case ch <- now:
			default:
			}
		}
		<-r.Context().Done()
	})
	// Anything else (an AWS call at init) is a failure of the measurement.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unexpected request "+r.Method+" "+r.URL.Path, http.StatusTeapot)
	})
	a.srv = &http.Server{Handler: mux}
	go a.srv.Serve(ln)
	return a, nil
}

func (a *fakeAPI) close() { a.srv.Close() }

// startUp runs one binary until its first /next request.
func (a *fakeAPI) startUp(bin string, t *target, tmp string) (time.Duration, error) {
	hit := make(chan time.Time, 1)
	a.mu.Lock()
	a.hit = hit
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.hit = nil
		a.mu.Unlock()
	}()
	handler := t.handler
	if handler == "" {
		handler = "bootstrap"
	}
	cmd := exec.Command(bin)
	// What a step's function has at init (the stack's settings, the
	// execution role's credentials); AWS calls would reach the fake API.
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + a.addr, "_HANDLER=" + handler, "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIDBENCH", "AWS_SECRET_ACCESS_KEY=bench", "AWS_SESSION_TOKEN=bench",
		"AWS_LAMBDA_FUNCTION_NAME=" + contract.FunctionName(t.name), "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"LAMBDASCAN_AWS_ENDPOINT=http://" + a.addr, "LAMBDASCAN_BUCKET=bench", "LAMBDASCAN_CACHE_TABLE=bench",
		"LAMBDASCAN_TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:bench", "LAMBDASCAN_ACCOUNT=123456789012",
		"LAMBDASCAN_TMP=" + tmp, "PATH=/usr/bin:/bin",
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case at := <-hit:
		cmd.Process.Kill()
		<-exited
		return at.Sub(start), nil
	case err := <-exited:
		return 0, fmt.Errorf("exited before asking for an event (%v): %s", err, stderr.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		return 0, fmt.Errorf("no request in 30 s: %s", stderr.String())
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench-lambdas:", err)
	os.Exit(2)
}
