// Package schema is the scanner-free part of the report schema
// (lambdascan.report/v1): the header every report carries, target kinds,
// error names, severity levels, and the report of a failed attempt. It
// imports no engine code, so the workflow's light steps (store, notify,
// metrics) and the CDK app can use it without linking osv-scalibr.
// Package report embeds Header in Report and adds packages and findings.
package schema

import "time"

// SchemaVersion names the JSON layout; bump it on incompatible change.
const SchemaVersion = "lambdascan.report/v1"

// ScannerName is the scanner's name in reports and SBOMs.
const ScannerName = "lambdascan"

// Version is the scanner version, set at build time with
// -ldflags "-X github.com/lambdascan/lambdascan/shared/report/schema.Version=...".
var Version = "dev"

// Statuses of a scan.
const (
	StatusComplete = "complete"
	StatusPartial  = "partial"
	StatusFailed   = "failed"
)

// Kind is what a report's target is.
type Kind string

// Target kinds.
const (
	KindZip       Kind = "zip"
	KindDirectory Kind = "directory"
	KindFunction  Kind = "function" // a deployed function (ARN)
	KindLayer     Kind = "layer"    // a layer zip or layer version ARN
	KindImage     Kind = "image"    // tarball, OCI layout or registry reference
)

// ErrorName is the stable name of a failure: it is the Lambda errorType,
// hence the Step Functions error name, and the report's error.name.
type ErrorName string

// Error names. The engine's (archive, inventory, image, vuln DB) and the
// workflow's (contract) share this one list.
const (
	ErrNotAZip              ErrorName = "NotAZip"
	ErrCorruptPackage       ErrorName = "CorruptPackage"
	ErrZipBomb              ErrorName = "ZipBomb"
	ErrTooManyEntries       ErrorName = "TooManyEntries"
	ErrEntryTooLarge        ErrorName = "EntryTooLarge"
	ErrTargetNotFound       ErrorName = "TargetNotFound"
	ErrVulnDBMissing        ErrorName = "VulnDBMissing"
	ErrVulnDBCorrupt        ErrorName = "VulnDBCorrupt"
	ErrScanPanic            ErrorName = "ScanPanic"
	ErrScanTimeout          ErrorName = "ScanTimeout"
	ErrScanCanceled         ErrorName = "ScanCanceled"
	ErrScanError            ErrorName = "ScanError"
	ErrImageNotFound        ErrorName = "ImageNotFound"
	ErrRegistryUnauthorized ErrorName = "RegistryUnauthorized"
	ErrNoMatchingPlatform   ErrorName = "NoMatchingPlatform"
	ErrBadImageReference    ErrorName = "BadImageReference"
	ErrImageUnreadable      ErrorName = "ImageUnreadable"
	ErrRegistryUnreachable  ErrorName = "RegistryUnreachable"
	ErrRegistryTLS          ErrorName = "RegistryTLSError"
	ErrTooManyLayers        ErrorName = "TooManyLayers"
	// Workflow errors (package contract): routed by the state machine.
	ErrInvalidEvent     ErrorName = "InvalidEvent"
	ErrFunctionNotFound ErrorName = "FunctionNotFound"
	ErrTransient        ErrorName = "TransientError"
	ErrCodeTooLarge     ErrorName = "CodeTooLarge"
	ErrCodeUnavailable  ErrorName = "CodeUnavailable"
	// The downloaded code's SHA-256 is not the CodeSha256 Lambda reported:
	// never staged, scanned or cached under that hash.
	ErrCodeHashMismatch ErrorName = "CodeHashMismatch"
	// The presigned code location answered 403 or 404 (denied), or its
	// signature had expired: the state machine retries Fetch once, with
	// a fresh GetFunction.
	ErrCodeLocationDenied  ErrorName = "CodeLocationDenied"
	ErrCodeLocationExpired ErrorName = "CodeLocationExpired"
)

// Severity levels, lowest to highest. Unknown sorts below Low: a record
// without a vector or rating (most Go vulndb records) is not guessed at.
const (
	LevelUnknown  = "unknown"
	LevelLow      = "low"
	LevelMedium   = "medium"
	LevelHigh     = "high"
	LevelCritical = "critical"
)

// Levels lists the levels from highest to lowest.
var Levels = []string{LevelCritical, LevelHigh, LevelMedium, LevelLow, LevelUnknown}

// Rank orders levels: critical 4 … low 1, unknown 0, anything else -1.
func Rank(level string) int {
	switch level {
	case LevelCritical:
		return 4
	case LevelHigh:
		return 3
	case LevelMedium:
		return 2
	case LevelLow:
		return 1
	case LevelUnknown:
		return 0
	}
	return -1
}

// Header is what every report carries before its packages and findings;
// a failed attempt's report is a Header alone.
type Header struct {
	Schema  string    `json:"schema"`
	Target  Target    `json:"target"`
	Scanner Scanner   `json:"scanner"`
	DB      DB        `json:"db"`
	Timings Timings   `json:"timings"`
	Status  string    `json:"status"`
	Reasons []Problem `json:"reasons,omitempty"` // why partial
	Error   *Error    `json:"error,omitempty"`   // why failed
	Summary Summary   `json:"summary"`
}

// Target is what was scanned.
type Target struct {
	Kind        Kind    `json:"kind"`
	Path        string  `json:"path,omitempty"`
	FunctionARN string  `json:"function_arn,omitempty"`
	CodeSha256  string  `json:"code_sha256,omitempty"`
	Runtime     string  `json:"runtime,omitempty"`
	Layers      []Layer `json:"layers,omitempty"`
	// Image targets (and image functions): the image and its layers.
	Image *Image `json:"image,omitempty"`
}

// Image describes a scanned container image.
type Image struct {
	Ref      string      `json:"ref,omitempty"`    // as given, or the function's ResolvedImageUri
	Digest   string      `json:"digest,omitempty"` // manifest digest
	Platform string      `json:"platform,omitempty"`
	OS       string      `json:"os,omitempty"` // PRETTY_NAME of /etc/os-release
	Layers   []LayerInfo `json:"layers,omitempty"`
}

// LayerInfo describes one layer of a scanned container image.
type LayerInfo struct {
	Index     int    `json:"index"`
	DiffID    string `json:"diffId,omitempty"`
	Command   string `json:"command,omitempty"`
	BaseImage bool   `json:"baseImage,omitempty"`
	Empty     bool   `json:"empty,omitempty"`
}

// Layer is a layer attached to the target function.
type Layer struct {
	ARN        string `json:"arn"`
	CodeSha256 string `json:"code_sha256,omitempty"`
}

// Scanner identifies the build that produced the report.
type Scanner struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// DB identifies the vulnerability data used.
type DB struct {
	Version     string    `json:"version"`
	ContentHash string    `json:"content_hash,omitempty"`
	BuiltAt     time.Time `json:"built_at,omitempty"`
	// Feeds: the date of the NVD, KEV and EPSS data the index holds, and
	// the error of a refresh that failed (the data is then older).
	Feeds map[string]Feed `json:"feeds,omitempty"`
}

// Feed is one feed of the index, as its header records it.
type Feed struct {
	Date  string `json:"date,omitempty"`
	Count int    `json:"count"`
	Error string `json:"error,omitempty"`
}

// Timings of the scan phases, in milliseconds.
type Timings struct {
	StartedAt   time.Time `json:"started_at"`
	InventoryMS int64     `json:"inventory_ms"`
	MatchMS     int64     `json:"match_ms"`
	TotalMS     int64     `json:"total_ms"`
}

// Error is a named failure: Name is stable (for Step Functions routing and
// metrics), Message is for people.
type Error struct {
	Name    ErrorName `json:"name"`
	Message string    `json:"message"`
}

// Summary counts findings.
type Summary struct {
	Packages    int            `json:"packages"`
	Findings    int            `json:"findings"`
	BySeverity  map[string]int `json:"by_severity"`
	MaxSeverity string         `json:"max_severity,omitempty"`
	KEV         int            `json:"kev"` // findings in CISA's KEV catalog
}

// Problem is a reason a result is partial: the one type the inventory, the
// image staging and the report share.
type Problem struct {
	Code   string `json:"code"`
	Path   string `json:"path,omitempty"`
	Detail string `json:"detail"`
}

// NewHeader starts a report on target at start (UTC).
func NewHeader(target Target, start time.Time) Header {
	return Header{Schema: SchemaVersion, Target: target, Scanner: Scanner{Name: ScannerName, Version: Version},
		Timings: Timings{StartedAt: start.UTC()}, Summary: EmptySummary()}
}

// EmptySummary is the summary of a report without findings: every level
// present with 0.
func EmptySummary() Summary {
	s := Summary{BySeverity: map[string]int{}}
	for _, l := range Levels {
		s.BySeverity[l] = 0
	}
	return s
}

// Fail makes h the report of a failed attempt.
func (h *Header) Fail(name ErrorName, message string) {
	h.Status = StatusFailed
	h.Error = &Error{Name: name, Message: message}
}

// Failed is the report of an attempt that failed before the engine ran
// (the function vanished, the code could not be fetched, …): the one
// failure report, used by the engine and by the workflow's store step.
func Failed(target Target, at time.Time, name ErrorName, message string) Header {
	h := NewHeader(target, at)
	h.Fail(name, message)
	return h
}
