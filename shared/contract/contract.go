// Package contract is the JSON passed between the states of the scan
// workflow: one type per state input/output. States pass keys and counts,
// never reports, so no payload nears Step Functions' 256 KiB limit.
package contract

import (
	"slices"
	"time"

	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// Triggers: what started a scan.
const (
	TriggerDirect = "direct" // {"functionArn": ...}: console, replay, bulk item
)

// Target is validate's output and what every later state receives.
type Target struct {
	FunctionARN string `json:"functionArn"` // unqualified
	Qualifier   string `json:"qualifier,omitempty"`
	Partition   string `json:"partition"`
	Region      string `json:"region"`
	Account     string `json:"account"`
	Name        string `json:"functionName"`
	Trigger     string `json:"trigger"`           // CloudTrail event name or "direct"
	EventID     string `json:"eventId,omitempty"` // CloudTrail event id, for tracing
	Force       bool   `json:"force,omitempty"`   // ignore the cache
	Deleted     bool   `json:"deleted,omitempty"` // DeleteFunction: record it, nothing to scan
	// SelfChecked: a bulk run already excluded the scanner's own functions.
	SelfChecked bool `json:"selfChecked,omitempty"`
	// Listed is the code identity ListFunctions gave a bulk run: the cache
	// check uses it instead of a GetFunctionConfiguration call of its own
	// (the 15 rps control plane is what bounds a bulk run).
	Listed *Code `json:"listed,omitempty"`
	// TagMode "changed" writes tags only when status or findings differ
	// from the function's current tags (bulk runs), "none" never; "" always tags.
	TagMode string `json:"tagMode,omitempty"`
}

// Tag modes of a bulk item.
const (
	TagModeChanged = "changed" // tag only when the outcome differs from the current tags
	TagModeNone    = "none"    // leave tags alone: a run that must finish fast (reports, metrics and SNS still happen)
)

// Skip is the self-skip state's output.
type Skip struct {
	Skip   bool   `json:"skip"`
	Reason string `json:"reason,omitempty"`
}

// Code is what identifies a function's deployed code for caching: a hit
// needs every field equal (a layer-only or runtime change keeps CodeSha256).
type Code struct {
	CodeSha256  string   `json:"codeSha256"`
	Runtime     string   `json:"runtime,omitempty"`
	PackageType string   `json:"packageType"` // Zip or Image
	Layers      []string `json:"layers"`      // sorted layer version ARNs
	ImageURI    string   `json:"imageUri,omitempty"`
}

// NewCode normalises a function's code identity the one way the cache
// compares it: package type Zip when absent, layer ARNs sorted.
func NewCode(codeSha256, runtime, packageType string, layers []string) Code {
	c := Code{CodeSha256: codeSha256, Runtime: runtime, PackageType: packageType, Layers: append([]string{}, layers...)}
	if c.PackageType == "" {
		c.PackageType = "Zip"
	}
	slices.Sort(c.Layers)
	return c
}

// CacheResult is the cache-check state's output.
type CacheResult struct {
	Hit       bool   `json:"hit"`
	Code      Code   `json:"code"`
	DBVersion string `json:"dbVersion"`
	ReportKey string `json:"reportKey,omitempty"` // the cached report, on a hit
	Status    string `json:"status,omitempty"`    // the cached scan's status
}

// Staged is one package copied into the staging bucket.
type Staged struct {
	Key        string `json:"key"`
	CodeSha256 string `json:"codeSha256"`
	Size       int64  `json:"size"`
	LayerARN   string `json:"layerArn,omitempty"` // empty for function code
}

// Fetched is the fetch state's output.
type Fetched struct {
	Code     Code     `json:"code"`
	Function Staged   `json:"function"`
	Layers   []Staged `json:"layers,omitempty"`
	Bytes    int64    `json:"bytes"` // bytes moved into staging
	// Tags are the function's LambdaScan* tags as GetFunction returned them,
	// for TagModeChanged.
	Tags map[string]string `json:"tags,omitempty"`
	// Image is set for image functions instead of Function.
	Image *StagedImage `json:"image,omitempty"`
}

// StagedImage is an image function's image as the fetch step staged it:
// its config and each layer filtered to the files the scan reads, keyed by
// its digest, so a base layer shared by many images is pulled once.
type StagedImage struct {
	URI       string        `json:"uri"`    // ResolvedImageUri
	Digest    string        `json:"digest"` // manifest digest pulled
	Platform  string        `json:"platform,omitempty"`
	ConfigKey string        `json:"configKey"`
	Layers    []StagedLayer `json:"layers"`
	// Problems found while staging (a corrupt or oversized layer): the
	// scan reports them and ends partial.
	Problems []Problem `json:"problems,omitempty"`
}

// StagedLayer is one filtered layer in staging.
type StagedLayer struct {
	DiffID string `json:"diffId"`
	Digest string `json:"digest"` // compressed, verified by the pull: the staging key
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	Reused bool   `json:"reused,omitempty"` // staged by an earlier scan
}

// Problem is a reason a result is partial (the report's).
type Problem = schema.Problem

// Summary is the scan state's output: counts and where the documents are.
type Summary struct {
	Status      string           `json:"status"` // complete | partial | failed
	ErrorName   schema.ErrorName `json:"errorName,omitempty"`
	Packages    int              `json:"packages"`
	Findings    int              `json:"findings"`
	BySeverity  map[string]int   `json:"bySeverity"`
	MaxSeverity string           `json:"maxSeverity,omitempty"`
	// KEV counts findings in CISA's KEV catalog; KEVFindings names the
	// first few ("ID package@version") for the notification.
	KEV         int       `json:"kev,omitempty"`
	KEVFindings []string  `json:"kevFindings,omitempty"`
	DBVersion   string    `json:"dbVersion"`
	ReportKey   string    `json:"reportKey"`
	CycloneDX   string    `json:"cyclonedxKey"`
	SPDXKey     string    `json:"spdxKey"`
	DurationMS  int64     `json:"durationMs"`
	ScannedAt   time.Time `json:"scannedAt"`
}

// Failure is what a Catch puts in the state (ResultPath $.error).
type Failure struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}
