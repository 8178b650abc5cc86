package localstack

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is what an injected fault does to a request.
type FaultKind int

const (
	// Throttle answers with the service's real throttling error (Code).
	Throttle FaultKind = iota + 1
	// ServerError answers Status (500 or 503; 403 and 404 too) with the
	// service's error body.
	ServerError
	// ResetMidBody lets the emulator answer, sends the status, the headers
	// (the full Content-Length) and half the body, then resets the connection.
	ResetMidBody
	// Slow holds the request for Delay before the emulator sees it: longer
	// than a client's timeout, or a step Lambda's (Invoke then answers as
	// Lambda does for a function that timed out).
	Slow
)

func (k FaultKind) String() string {
	return map[FaultKind]string{Throttle: "throttle", ServerError: "server-error", ResetMidBody: "reset-mid-body", Slow: "slow"}[k]
}

// Fault is injected into the requests of one service and operation, as the
// proxy between the clients (handlers, the Step Functions engine, code
// downloads) and the emulator sees them: the service from the SigV4
// credential scope (header or presigned query), the operation from
// X-Amz-Target, the query protocol's Action, or the REST method and path.
type Fault struct {
	Service   string // credential-scope name: lambda, s3, dynamodb, states, sns, monitoring, sts
	Operation string // GetFunction, Invoke, PutObject, GetObject, PutItem, PutMetricData ...
	// Match narrows the fault (a key, a function); nil matches every call.
	// Invoke calls are matched by the function name in Request.URL.Path.
	Match func(r *http.Request, body []byte) bool
	Times int // how many matching requests fail; later ones pass

	Kind   FaultKind
	Code   string        // Throttle: TooManyRequestsException, ThrottlingException, SlowDown, ProvisionedThroughputExceededException
	Status int           // ServerError: 500 or 503
	Delay  time.Duration // Slow
	// Gate, for Slow: the request waits until it is closed (then Delay).
	Gate <-chan struct{}
}

// Injected is a fault in place; it reports what it did.
type Injected struct {
	Fault
	mu   sync.Mutex
	hits []string
}

// Hits lists the requests the fault took, in order ("PUT /bucket/key").
func (in *Injected) Hits() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.hits...)
}

// take claims one of the fault's requests.
func (in *Injected) take(r *http.Request, service, op string, body []byte) bool {
	if in.Service != service || in.Operation != op || (in.Match != nil && !in.Match(r, body)) {
		return false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.hits) >= in.Times {
		return false
	}
	in.hits = append(in.hits, r.Method+" "+r.URL.Path)
	return true
}

// Inject puts a fault in place until ClearFaults.
func (s *Stack) Inject(f Fault) *Injected {
	in := &Injected{Fault: f}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, in)
	return in
}

// ClearFaults removes every fault.
func (s *Stack) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// delayKey carries a Slow fault's delay to an in-process Invoke.
type delayKey struct{}

// SetFunctionTimeout gives a registered handler Lambda's timeout: an Invoke
// that has not answered by then ends as Lambda ends it (Sandbox.Timedout).
func (s *Stack) SetFunctionTimeout(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timeouts == nil {
		s.timeouts = map[string]time.Duration{}
	}
	s.timeouts[name] = d
}

// Requests is how many requests of a service's operation reached the
// emulator (or a handler) since the stack started; faulted ones are not
// counted.
func (s *Stack) Requests(service, op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served[service+"."+op]
}

func (s *Stack) countServed(service, op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.served == nil {
		s.served = map[string]int{}
	}
	s.served[service+"."+op]++
}

// fault finds the fault for a request; the body is read once and put back.
func (s *Stack) fault(r *http.Request) (in *Injected, service, op string) {
	_, _, service = credentialScope(r)
	if service == "" {
		service = presignedService(r)
	}
	var body []byte
	if r.Body != nil && r.ContentLength != 0 {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	op = operation(r, service, body)
	s.mu.Lock()
	faults := append([]*Injected(nil), s.faults...)
	s.mu.Unlock()
	for _, f := range faults {
		if f.take(r, service, op, body) {
			return f, service, op
		}
	}
	return nil, service, op
}

// presignedService reads the service of a presigned URL: SigV4's
// X-Amz-Credential, or S3's SigV2 query (AWSAccessKeyId, Signature).
func presignedService(r *http.Request) string {
	q := r.URL.Query()
	if parts := strings.Split(q.Get("X-Amz-Credential"), "/"); len(parts) >= 4 {
		return parts[3]
	}
	if q.Get("AWSAccessKeyId") != "" && q.Get("Signature") != "" {
		return "s3"
	}
	return ""
}

// operation names a request the way the API reference does.
func operation(r *http.Request, service string, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndexByte(t, '.')+1:]
	}
	switch service {
	case "lambda":
		return lambdaOperation(r)
	case "s3":
		return s3Operation(r)
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if r.Header.Get("Content-Encoding") == "gzip" { // PutMetricData compresses its body
			if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
				body, _ = io.ReadAll(zr)
			}
		}
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			return v.Get("Action")
		}
	}
	return r.Method + " " + r.URL.Path
}

// s3Operation names the path-style object and bucket calls the scanner makes.
func s3Operation(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, "/")
	object := strings.Contains(p, "/") && !strings.HasSuffix(p, "/")
	q := r.URL.Query()
	switch {
	case object && r.Method == http.MethodGet:
		return "GetObject"
	case object && r.Method == http.MethodHead:
		return "HeadObject"
	case object && r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "":
		return "CopyObject"
	case object && r.Method == http.MethodPut:
		return "PutObject"
	case object && r.Method == http.MethodDelete:
		return "DeleteObject"
	case r.Method == http.MethodGet && q.Get("list-type") == "2":
		return "ListObjectsV2"
	}
	return r.Method + " " + r.URL.Path
}

// protocol is how a service spells its errors.
func protocol(service string) string {
	switch service {
	case "lambda":
		return "rest-json"
	case "s3":
		return "rest-xml"
	case "dynamodb", "states", "events", "sqs", "logs", "kms", "secretsmanager", "ecr":
		return "json"
	}
	return "query" // sns, sts, monitoring (the local stack's CloudWatch speaks query), iam
}

// writeError answers with the service's error shape: what the SDKs parse
// into the API error code the scanner classifies.
func writeError(w http.ResponseWriter, service string, status int, code, message string) {
	reqID := fmt.Sprintf("fault-%d", time.Now().UnixNano())
	switch protocol(service) {
	case "rest-json":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", code)
		w.Header().Set("X-Amzn-RequestId", reqID)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"Type":"User","message":%q}`, message)
	case "rest-xml":
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("X-Amz-Request-Id", reqID)
		w.WriteHeader(status)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId><HostId>local</HostId></Error>`, code, message, reqID)
	case "json":
		prefix := "com.amazon.coral.service#"
		if service == "dynamodb" {
			prefix = "com.amazonaws.dynamodb.v20120810#"
		}
		if code == "ThrottlingException" {
			prefix = "com.amazon.coral.availability#"
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-RequestId", reqID)
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":"%s%s","message":%q}`, prefix, code, message)
	default:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, code, message, reqID)
	}
}

// throttleStatus is the status each service sends with its throttling code.
func throttleStatus(service, code string) int {
	switch {
	case code == "SlowDown":
		return http.StatusServiceUnavailable
	case service == "lambda":
		return http.StatusTooManyRequests
	}
	return http.StatusBadRequest
}

// serverErrorCode is the code a service sends with a 500 or 503.
func serverErrorCode(service string, status int) string {
	switch {
	case service == "lambda" && status == http.StatusInternalServerError:
		return "ServiceException"
	case service == "s3" && status == http.StatusInternalServerError:
		return "InternalError"
	case service == "dynamodb" && status == http.StatusInternalServerError:
		return "InternalServerError"
	case status == http.StatusInternalServerError:
		return "InternalFailure"
	case status == http.StatusForbidden:
		return "AccessDenied"
	case status == http.StatusNotFound && service == "s3":
		return "NoSuchKey"
	case status == http.StatusNotFound:
		return "ResourceNotFoundException"
	}
	return "ServiceUnavailable"
}

// serveFault answers a faulted request; Slow and ResetMidBody pass it on
// to next, the emulator.
func (s *Stack) serveFault(w http.ResponseWriter, r *http.Request, f *Injected, service string, next http.Handler) {
	switch f.Kind {
	case Throttle:
		writeError(w, service, throttleStatus(service, f.Code), f.Code, "Rate exceeded (injected)")
	case ServerError:
		writeError(w, service, f.Status, serverErrorCode(service, f.Status), "injected server error")
	case ResetMidBody:
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST, not FIN: "connection reset by peer"
		}
		conn.Close()
	case Slow:
		if f.Gate != nil {
			select {
			case <-f.Gate:
			case <-r.Context().Done():
				return
			}
		}
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return // the client gave up: its timeout
		}
		next.ServeHTTP(w, r)
	}
}
