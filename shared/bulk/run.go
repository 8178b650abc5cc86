package bulk

import "github.com/lambdascan/lambdascan/shared/contract"

// ListInput is the bulk list step's input.
type ListInput struct {
	Request Request `json:"request"`
	RunID   string  `json:"runId"` // the bulk execution's name
}

// Listing is where a run's items are: the Distributed Map reads them
// from S3, so 100,000 functions never pass through a state payload.
type Listing struct {
	Bucket         string  `json:"bucket"`
	Key            string  `json:"key"`
	Count          int     `json:"count"`
	Stats          Stats   `json:"stats"`
	Rates          []Rate  `json:"rates"`
	MaxConcurrency int     `json:"maxConcurrency"`
	Tolerated      float64 `json:"toleratedFailurePercentage"`
}

// SummaryInput is the bulk report step's input: the run's state, which
// holds $.mapError only when the Map failed.
type SummaryInput struct {
	RunID     string `json:"runId"`
	StartedAt string `json:"startedAt"`
	State     struct {
		Listing  Listing           `json:"listing"`
		MapError *contract.Failure `json:"mapError,omitempty"`
	} `json:"state"`
}

// Summary is a finished run.
type Summary struct {
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
