package contract

// Named errors. A Go Lambda handler's error type name becomes the Lambda
// errorType, which the ASL's Retry and Catch match on, so these names are
// part of the contract.

// InvalidEvent: the input is not something to scan. The ASL ends the
// execution cleanly as "invalid", not through the failure alarm.
type InvalidEvent struct{ Reason string }

func (e *InvalidEvent) Error() string { return "invalid event: " + e.Reason }

// FunctionNotFound: the function was deleted between the event and the scan.
type FunctionNotFound struct{ FunctionARN string }

func (e *FunctionNotFound) Error() string { return "function not found: " + e.FunctionARN }

// TransientError: throttling, 5xx, timeouts of AWS calls; the ASL retries it.
type TransientError struct {
	Op  string
	Err error
}

func (e *TransientError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// ScanFailed: the scan ran and failed with a named engine error
// (NotAZip, ZipBomb, …); the report was still written.
type ScanFailed struct{ Name, Message, ReportKey string }

func (e *ScanFailed) Error() string { return e.Name + ": " + e.Message }

// VulnDBMissing: the mirror has not published an index yet (first deploy).
type VulnDBMissing struct{}

func (e *VulnDBMissing) Error() string { return "no vulnerability database published yet" }
