package contract

import "github.com/lambdascan/lambdascan/shared/report/schema"

// Named errors. A step's error becomes the Lambda errorType, which the
// ASL's Retry and Catch match on and store writes into the report, so these
// names are part of the contract. Each error says its name (ErrorType):
// the step runtime hands it to Lambda as the errorType, the local stack
// reads the same method, and nothing parses it back out of a message.

// Named is an error with a stable name.
type Named interface {
	error
	ErrorType() string
}

// InvalidEvent: the input is not something to scan. The ASL ends the
// execution cleanly as "invalid", not through the failure alarm.
type InvalidEvent struct{ Reason string }

func (e *InvalidEvent) Error() string     { return "invalid event: " + e.Reason }
func (e *InvalidEvent) ErrorType() string { return string(schema.ErrInvalidEvent) }

// FunctionNotFound: the function was deleted between the event and the scan.
type FunctionNotFound struct{ FunctionARN string }

func (e *FunctionNotFound) Error() string     { return "function not found: " + e.FunctionARN }
func (e *FunctionNotFound) ErrorType() string { return string(schema.ErrFunctionNotFound) }

// TransientError: throttling, 5xx, timeouts of AWS calls; the ASL retries it.
type TransientError struct {
	Op  string
	Err error
}

func (e *TransientError) Error() string     { return e.Op + ": " + e.Err.Error() }
func (e *TransientError) Unwrap() error     { return e.Err }
func (e *TransientError) ErrorType() string { return string(schema.ErrTransient) }

// ScanFailed: a permanent failure with a name from the failing call — the
// engine's (NotAZip, ZipBomb, ImageNotFound, …) or the code fetch's
// (CodeTooLarge, CodeUnavailable). Its errorType is that name. ReportKey is
// set when the scan step already wrote the failed report.
type ScanFailed struct {
	Name      schema.ErrorName
	Message   string
	ReportKey string
}

func (e *ScanFailed) Error() string     { return e.Message }
func (e *ScanFailed) ErrorType() string { return string(e.Name) }

// VulnDBMissing: the mirror has not published an index yet (first deploy).
type VulnDBMissing struct{}

func (e *VulnDBMissing) Error() string     { return "no vulnerability database published yet" }
func (e *VulnDBMissing) ErrorType() string { return string(schema.ErrVulnDBMissing) }
