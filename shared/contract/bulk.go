package contract

// The bulk workflow's states (statemachine/bulk.asl.json).

// BulkItem is one function to scan: the scan state machine's direct input.
type BulkItem struct {
	FunctionArn string `json:"functionArn"`
	// SelfChecked: enumeration already excluded the scanner's own functions
	// (by name and tag), so the child scan skips its ListTags call.
	SelfChecked bool `json:"selfChecked"`
	Force       bool `json:"force"` // always present: the Map reads $.force
	// Code is what ListFunctions said identifies the deployed code, so the
	// child's cache check makes no control-plane call; TagMode "changed"
	// keeps unchanged outcomes from costing a TagResource each.
	Code    *Code  `json:"code"`    // always present: the Map reads $.code
	TagMode string `json:"tagMode"` // always present: the Map reads $.tagMode
}

// BulkStats count what enumeration saw.
type BulkStats struct {
	Listed    int            `json:"listed"`
	Excluded  map[string]int `json:"excluded"` // by reason: glob, tag, self
	PerTarget map[string]int `json:"perTarget"`
	Accounts  []string       `json:"accounts"`
	Regions   []string       `json:"regions"`
}

// BulkRate is a measured call rate for one account/region.
type BulkRate struct {
	Key   string  `json:"key"`
	Calls int     `json:"calls"`
	RPS   float64 `json:"rps"` // calls per second between the first and last call
}

// BulkListInput is the bulk list step's input.
type BulkListInput struct {
	Request BulkRequest `json:"request"`
	RunID   string      `json:"runId"` // the bulk execution's name
}

// BulkListing is where a run's items are: the Distributed Map reads them
// from S3, so 100,000 functions never pass through a state payload.
type BulkListing struct {
	Bucket         string     `json:"bucket"`
	Key            string     `json:"key"`
	Count          int        `json:"count"`
	Stats          BulkStats  `json:"stats"`
	Rates          []BulkRate `json:"rates"`
	MaxConcurrency int        `json:"maxConcurrency"`
	Tolerated      float64    `json:"toleratedFailurePercentage"`
}

// BulkSummaryInput is the bulk report step's input: the run's state, which
// holds $.mapError only when the Map failed.
type BulkSummaryInput struct {
	RunID     string `json:"runId"`
	StartedAt string `json:"startedAt"`
	State     struct {
		Listing  BulkListing `json:"listing"`
		MapError *Failure    `json:"mapError,omitempty"`
	} `json:"state"`
}

// BulkSummary is a finished run.
type BulkSummary struct {
	RunID      string         `json:"runId"`
	Total      int            `json:"total"`
	ByStatus   map[string]int `json:"byStatus"` // complete, partial, failed, cached, not-scanned
	Critical   []string       `json:"critical,omitempty"`
	High       []string       `json:"high,omitempty"`
	Failed     []string       `json:"failed,omitempty"`
	NotScanned []string       `json:"notScanned,omitempty"`
	MapError   string         `json:"mapError,omitempty"`
	Key        string         `json:"key"`
}
