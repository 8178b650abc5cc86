// Package localstack runs the scan workflow's AWS services on loopback:
// moto_server (with its Step Functions engine) behind a small proxy that
// answers Lambda Invoke by running the real Go step handlers in-process.
// Tests start one stack per package and it dies with the test process.
package localstack

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

//go:embed launcher.py
var launcher []byte

// Region and Account are the local stack's.
const (
	Region  = "eu-west-1"
	Account = "123456789012"
)

// Stack is a running local AWS.
type Stack struct {
	// Endpoint is what clients use (the proxy); moto itself sits behind it.
	Endpoint string

	moto     *exec.Cmd
	motoURL  string
	motoPort int
	exited   chan struct{} // closed when moto has exited; exitErr is then set
	exitErr  error
	proxy    *http.Server
	proxyLn  net.Listener
	logs     *lockedBuffer
	dir      string // launcher and moto's TMPDIR

	mu       sync.Mutex
	handlers map[string]lambda.Handler
	invokes  map[string]int
	redriver func(executionARN string) error
	calls    map[string][]time.Time // Lambda control-plane calls by credential/region
	ops      map[string]int         // Lambda calls by operation
	faults   []*Injected
	timeouts map[string]time.Duration // handler name → Lambda timeout
	served   map[string]int           // "service.Operation" → requests that got through
}

// credentialScope reads "AKID/date/region/service" from a SigV4 header.
func credentialScope(r *http.Request) (akid, region, service string) {
	auth := r.Header.Get("Authorization")
	i := strings.Index(auth, "Credential=")
	if i < 0 {
		return "", "", ""
	}
	parts := strings.Split(strings.SplitN(auth[i+len("Credential="):], ",", 2)[0], "/")
	if len(parts) < 4 {
		return "", "", ""
	}
	return parts[0], parts[2], parts[3]
}

// countControlPlane records Lambda API calls other than GetFunction and
// Invoke (the ones sharing the 15 rps limit) per credential and region, and
// every Lambda call by operation.
func (s *Stack) countControlPlane(r *http.Request) {
	akid, region, service := credentialScope(r)
	if service != "lambda" {
		return
	}
	op := lambdaOperation(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ops == nil {
		s.ops = map[string]int{}
	}
	s.ops[op]++
	if op == "Invoke" || op == "GetFunction" {
		return // separate limits
	}
	if s.calls == nil {
		s.calls = map[string][]time.Time{}
	}
	k := akid + "/" + region
	s.calls[k] = append(s.calls[k], time.Now())
}

// lambdaOperation names a Lambda REST call by its method and path (the
// calls the scanner makes; anything else by its path's first segments).
func lambdaOperation(r *http.Request) string {
	p := r.URL.Path
	fn, isFn := strings.CutPrefix(p, "/2015-03-31/functions/")
	switch {
	case strings.HasSuffix(p, "/invocations"):
		return "Invoke"
	case r.Method == http.MethodGet && strings.TrimSuffix(p, "/") == "/2015-03-31/functions":
		return "ListFunctions"
	case r.Method == http.MethodGet && isFn && strings.HasSuffix(fn, "/configuration"):
		return "GetFunctionConfiguration"
	case r.Method == http.MethodGet && isFn && !strings.Contains(fn, "/"):
		return "GetFunction"
	case strings.HasPrefix(p, "/2017-03-31/tags/"):
		if r.Method == http.MethodGet {
			return "ListTags"
		}
		if r.Method == http.MethodPost {
			return "TagResource"
		}
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/2018-10-31/layers/") && strings.Contains(p, "/versions/"):
		return "GetLayerVersion"
	}
	return r.Method + " " + p
}

// LambdaCalls is how many calls of one Lambda operation were made since the
// last ResetControlPlane.
func (s *Stack) LambdaCalls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ops[op]
}

// ResetControlPlane forgets the calls counted so far.
func (s *Stack) ResetControlPlane() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls, s.ops = nil, nil
}

// PeakControlPlaneRPS is the most Lambda control-plane calls any one
// credential made in one region within any one-second window.
func (s *Stack) PeakControlPlaneRPS() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bestKey, best := "", 0
	for k, ts := range s.calls {
		j := 0
		for i := range ts {
			for ts[i].Sub(ts[j]) >= time.Second {
				j++
			}
			if n := i - j + 1; n > best {
				bestKey, best = k, n
			}
		}
	}
	return bestKey, best
}

// HandleRedrive answers Step Functions' RedriveExecution (moto 5.2.1 lacks
// it) with fn; an error is returned to the caller as ExecutionNotRedrivable.
func (s *Stack) HandleRedrive(fn func(executionARN string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redriver = fn
}

func (s *Stack) redrive(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
	}
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &in)
	s.mu.Lock()
	fn := s.redriver
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if fn == nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"UnsupportedOperation","message":"the local stack offers RedriveExecution only once a test installs a handler"}`)
		return
	}
	if err := fn(in.ExecutionArn); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"ExecutionNotRedrivable","message":%q}`, err.Error())
		return
	}
	fmt.Fprintf(w, `{"redriveDate":%d}`, time.Now().Unix())
}

// MotoInstall is the command that installs what the local stack runs.
const MotoInstall = `pip install "moto[server]>=5,<6"`

// minPython is moto 5's floor.
var minPython = [2]int{3, 9}

// Start launches moto and the proxy on free loopback ports. A missing or
// wrong Python or moto is reported at once with the command that fixes it;
// a moto port taken between probing and binding is retried on another.
func Start(ctx context.Context) (*Stack, error) {
	python := os.Getenv("LAMBDASCAN_PYTHON")
	if python == "" {
		python = "python3"
	}
	if err := checkPython(ctx, python); err != nil {
		return nil, err
	}
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var s *Stack
		s, err = start(ctx, python)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errPortInUse) {
			return nil, err
		}
	}
	return nil, err
}

// checkPython runs the interpreter once (tens of ms) for its version.
func checkPython(ctx context.Context, python string) error {
	if _, err := exec.LookPath(python); err != nil {
		return fmt.Errorf("localstack: %s not found: the local AWS stack runs moto on Python %d.%d+; install Python 3, then %s (or set LAMBDASCAN_PYTHON)", python, minPython[0], minPython[1], MotoInstall)
	}
	out, err := exec.CommandContext(ctx, python, "-c", `import sys; print("%d %d" % sys.version_info[:2])`).Output()
	var major, minor int
	if err == nil {
		_, err = fmt.Sscanf(string(out), "%d %d", &major, &minor)
	}
	if err != nil {
		return fmt.Errorf("localstack: %s does not run as Python 3: %v", python, err)
	}
	if major < minPython[0] || (major == minPython[0] && minor < minPython[1]) {
		return fmt.Errorf("localstack: %s is Python %d.%d; moto 5 needs %d.%d or newer (set LAMBDASCAN_PYTHON to another interpreter)", python, major, minor, minPython[0], minPython[1])
	}
	return nil
}

var errPortInUse = errors.New("port in use")

func start(ctx context.Context, python string) (_ *Stack, err error) {
	s := &Stack{
		logs:     &lockedBuffer{},
		handlers: map[string]lambda.Handler{},
		invokes:  map[string]int{},
		exited:   make(chan struct{}),
	}
	defer func() {
		if err != nil {
			s.Stop() // also removes the temp dir of a failed start
		}
	}()
	motoPort, err := freePort()
	if err != nil {
		return nil, err
	}
	proxyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	proxyPort := proxyLn.Addr().(*net.TCPAddr).Port
	s.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", proxyPort)
	s.motoURL = fmt.Sprintf("http://127.0.0.1:%d", motoPort)
	s.motoPort = motoPort
	s.proxyLn = proxyLn

	if s.dir, err = os.MkdirTemp("", "lambdascan-moto-"); err != nil {
		return nil, err
	}
	script := filepath.Join(s.dir, "launcher.py")
	if err := os.WriteFile(script, launcher, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(python, script, "-H", "127.0.0.1", "-p", fmt.Sprint(motoPort))
	// The Step Functions engine calls Lambda at localhost:MOTO_PORT: the proxy.
	// MOTO_LAMBDA_STUB_ECR=false: image functions resolve their image in
	// moto's ECR, so ResolvedImageUri and CodeSha256 carry the real digest.
	// TMPDIR: whatever moto writes goes to our temp dir, removed on Stop.
	cmd.Env = append(os.Environ(), fmt.Sprintf("MOTO_PORT=%d", proxyPort), "MOTO_LAMBDA_STUB_ECR=false",
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION="+Region, "TMPDIR="+s.dir)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	// Dies with the test process, even when the test binary is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("localstack: starting moto (%s): %w", python, err)
	}
	s.moto = cmd
	// Wait here, once: waitReady sees an early exit the moment it happens.
	go func() {
		s.exitErr = cmd.Wait()
		close(s.exited)
	}()
	target, _ := url.Parse(s.motoURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(s.logs, "proxy: ", 0) // shutdown noise belongs with moto's log
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name, ok := invokePath(r); ok {
			s.invoke(w, r, name)
			return
		}
		s.countControlPlane(r)
		if r.Header.Get("X-Amz-Target") == "AWSStepFunctions.RedriveExecution" {
			s.redrive(w, r)
			return
		}
		rp.ServeHTTP(w, r)
	})
	s.proxy = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, service, op := s.fault(r)
		switch {
		case f == nil:
			s.countServed(service, op)
			next.ServeHTTP(w, r)
		case f.Kind == Slow && op == "Invoke":
			// A hung step: the in-process handler starts late, under its timeout.
			s.countServed(service, op)
			if f.Gate != nil {
				<-f.Gate
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), delayKey{}, f.Delay)))
		default:
			if f.Kind == Slow || f.Kind == ResetMidBody {
				s.countServed(service, op)
			}
			s.serveFault(w, r, f, service, next)
		}
	})}
	go s.proxy.Serve(proxyLn)

	if err := s.waitReady(ctx); err != nil {
		return nil, err
	}
	// The Step Functions engine must be on before any state machine exists.
	resp, err := http.Post(s.motoURL+"/moto-api/config", "application/json",
		strings.NewReader(`{"stepfunctions":{"execute_state_machine":true}}`))
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return s, nil
}

// Launcher exit codes (launcher.py): what is missing, said before moto runs.
const (
	exitNoMoto      = 4
	exitMotoVersion = 5
)

func (s *Stack) waitReady(ctx context.Context) error {
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(s.motoURL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.exited:
			return s.exitError()
		case <-deadline.C:
			return fmt.Errorf("localstack: moto did not answer within 30 s: %s", s.Logs())
		case <-tick.C:
		}
	}
}

// exitError explains a moto that exited before it answered.
func (s *Stack) exitError() error {
	logs := s.Logs()
	code := -1
	var ee *exec.ExitError
	if errors.As(s.exitErr, &ee) {
		code = ee.ExitCode()
	}
	switch {
	case code == exitNoMoto:
		return fmt.Errorf("localstack: moto is not installed for this Python (%s); install it with %s", lastLine(logs), MotoInstall)
	case code == exitMotoVersion:
		return fmt.Errorf("localstack: %s; the local stack is tested on moto 5: %s", lastLine(logs), MotoInstall)
	case strings.Contains(logs, "Address already in use"):
		return fmt.Errorf("localstack: moto port %d: %w (taken since it was probed)", s.motoPort, errPortInUse)
	}
	return fmt.Errorf("localstack: moto exited (%v) before it answered:\n%s", s.exitErr, logs)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// Logs returns what moto printed.
func (s *Stack) Logs() string { return s.logs.String() }

// lockedBuffer collects moto's output, written by exec's copier goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		b.buf.Reset() // keep the tail; moto logs every request
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Stop kills moto, closes the proxy and removes the temp dir; it is safe
// on a stack whose start failed part-way.
func (s *Stack) Stop() {
	if s.proxy != nil {
		s.proxy.Close()
	} else if s.proxyLn != nil {
		s.proxyLn.Close()
	}
	if s.moto != nil && s.moto.Process != nil {
		syscall.Kill(-s.moto.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// Register makes Invoke of the named function run h in-process.
func (s *Stack) Register(name string, h lambda.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[name] = h
}

// Invocations counts calls per function name.
func (s *Stack) Invocations(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.invokes[name]
}

// invokePath matches POST /2015-03-31/functions/{name}/invocations.
func invokePath(r *http.Request) (string, bool) {
	if r.Method != http.MethodPost {
		return "", false
	}
	p := r.URL.EscapedPath()
	const prefix, suffix = "/2015-03-31/functions/", "/invocations"
	if !strings.HasPrefix(p, prefix) || !strings.HasSuffix(p, suffix) {
		return "", false
	}
	name, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(p, prefix), suffix))
	if err != nil {
		return "", false
	}
	// A full ARN or name:qualifier names the same function.
	if strings.HasPrefix(name, "arn:") {
		parts := strings.Split(name, ":")
		if len(parts) >= 7 {
			name = parts[6]
		}
	} else if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	return name, true
}

// invoke answers like the Lambda service: 200 with the result, or 200 with
// X-Amz-Function-Error: Unhandled and {"errorType","errorMessage"}.
func (s *Stack) invoke(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	h, ok := s.handlers[name]
	s.invokes[name]++
	timeout := s.timeouts[name]
	s.mu.Unlock()
	if !ok {
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"Type":"User","Message":"Function not found: %s"}`, name)
		return
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	ctx := lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{
		AwsRequestID:       fmt.Sprintf("local-%d", time.Now().UnixNano()),
		InvokedFunctionArn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, name),
	})
	delay, _ := r.Context().Value(delayKey{}).(time.Duration)
	out, err := runWithin(ctx, h, payload, delay, timeout)
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if errors.Is(err, errTimedOut) {
		// What Lambda answers for a function that ran past its timeout.
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: local-%d Error: Task timed out after %.2f seconds"}`,
			time.Now().UnixNano(), timeout.Seconds())
		return
	}
	if err != nil {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"errorType":%q,"errorMessage":%q}`, errorType(err), err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

var errTimedOut = errors.New("timed out")

// runWithin runs the handler after delay, within timeout (0: none), as the
// Lambda service does: past the timeout the invocation ends, whatever the
// handler is doing, and a handler that has not started never starts.
func runWithin(ctx context.Context, h lambda.Handler, payload []byte, delay, timeout time.Duration) ([]byte, error) {
	if timeout == 0 {
		time.Sleep(delay)
		return h.Invoke(ctx, payload)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			done <- result{err: errTimedOut}
			return
		}
		out, err := h.Invoke(ctx, payload)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, errTimedOut
	}
}

// errorType is what the Lambda Go runtime reports: the error's type name.
func errorType(err error) string {
	var named interface{ ErrorType() string }
	if errors.As(err, &named) {
		return named.ErrorType()
	}
	t := fmt.Sprintf("%T", err)
	t = strings.TrimPrefix(t, "*")
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	return t
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
