package bulk

import "github.com/lambdascan/lambdascan/shared/contract"

// The bulk workflow's states (package contract).
type (
	ListInput    = contract.BulkListInput
	Listing      = contract.BulkListing
	SummaryInput = contract.BulkSummaryInput
	Summary      = contract.BulkSummary
)
