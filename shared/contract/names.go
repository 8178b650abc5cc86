package contract

// Step names: steps/<name> builds the Lambda, the stack names the function
// FunctionName(<name>), and the local stack registers the handler under it.
const (
	StepValidate   = "validate"
	StepSelfSkip   = "selfskip"
	StepCacheCheck = "cachecheck"
	StepFetch      = "fetch"
	StepScan       = "scan"
	StepStore      = "store"
	StepTag        = "tag"
	StepMetrics    = "metrics"
	StepNotify     = "notify"
	StepMirror     = "mirror"
	StepBulkList   = "bulklist"
	StepBulkReport = "bulkreport"
)

// Step is one Lambda of the workflow.
type Step struct {
	Name string
	// Placeholder is the step's ARN in the ASL's DefinitionSubstitutions
	// ("" for the mirror, which no state machine calls).
	Placeholder string
	// Light steps link no scanning code (osv-scalibr, go-containerregistry,
	// SQLite): a small binary that starts fast.
	Light bool
}

// Steps lists every step.
var Steps = []Step{
	{StepValidate, "ValidateFunctionArn", true}, {StepSelfSkip, "SelfSkipFunctionArn", true},
	{StepCacheCheck, "CacheCheckFunctionArn", true}, {StepFetch, "FetchFunctionArn", false},
	{StepScan, "ScanFunctionArn", false}, {StepStore, "StoreFunctionArn", true}, {StepTag, "TagFunctionArn", true},
	{StepMetrics, "MetricsFunctionArn", true}, {StepNotify, "NotifyFunctionArn", true}, {StepMirror, "", false},
	{StepBulkList, "BulkListFunctionArn", true}, {StepBulkReport, "BulkReportFunctionArn", true},
}

// Deployed names: functions, roles and state machines all start with
// Prefix (member accounts trust roles by that prefix).
const (
	Prefix = "lambdascan"
	// ScanStateMachine and BulkStateMachine are the state machines' names.
	ScanStateMachine = Prefix + "-scan"
	BulkStateMachine = Prefix + "-bulk"
	// ScanStateMachinePlaceholder is the scan machine's ARN in the bulk ASL.
	ScanStateMachinePlaceholder = "ScanStateMachineArn"
	// ResultsBucketPlaceholder is the bucket the bulk Map's ResultWriter
	// writes child results to (under BulkResultsPrefix).
	ResultsBucketPlaceholder = "ResultsBucketName"
)

// FunctionName is the deployed name of a step's Lambda.
func FunctionName(step string) string { return Prefix + "-" + step }

// Tag keys the scanner writes on functions (the stack's roles may tag only
// these).
const (
	TagStatus    = "LambdaScanStatus"
	TagTimestamp = "LambdaScanTimestamp"
	TagFindings  = "LambdaScanFindings"
)

// TagKeys lists the tag keys the scanner writes.
var TagKeys = []string{TagStatus, TagTimestamp, TagFindings}

// ScanTags keeps the tags the scanner writes.
func ScanTags(all map[string]string) map[string]string {
	var out map[string]string
	for _, k := range TagKeys {
		if v, ok := all[k]; ok {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}

// MetricsNamespace is the default CloudWatch namespace.
const MetricsNamespace = "LambdaScan"

// Metric names. Dimensions stay low-cardinality (no function names): per
// function detail lives in the reports.
const (
	MetricScanSuccess        = "ScanSuccess"
	MetricScanPartialSuccess = "ScanPartialSuccess"
	MetricScanFailure        = "ScanFailure"
	MetricCacheHit           = "CacheHit"
	MetricScanDuration       = "ScanDuration"
	MetricVulnerabilities    = "Vulnerabilities"
	// KnownExploited counts findings in CISA's KEV catalog.
	MetricKnownExploited = "KnownExploited"
	// FeedFailure: a mirror run whose refresh of a feed (dimension Feed:
	// nvd, kev, epss) failed; the index keeps that feed's previous data.
	MetricFeedFailure      = "FeedFailure"
	MetricCodeHashMismatch = "CodeHashMismatch" // downloaded code that is not what Lambda reported
	MetricIndexAgeHours    = "IndexAgeHours"    // age of the current vulnerability index, after each mirror run
)

// FindingsTableName is the deployed findings store's table (package
// findings): fixed, so the CLI finds it in the account and region.
const FindingsTableName = "lambdascan-findings"
