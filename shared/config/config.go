// Package config reads the scanner's settings from the environment the CDK
// stack (or the local stack) gives every step Lambda.
package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every step's view of the stack.
type Config struct {
	Bucket         string        // staging/, results/, reports/, vulndb/ prefixes
	CacheTable     string        // DynamoDB table
	FindingsTable  string        // DynamoDB findings store (package findings); empty: none
	EventBus       string        // EventBridge bus for findings events (package eventbus); empty: none
	SecurityHub    bool          // import findings into Security Hub (package securityhub)
	TopicARN       string        // SNS findings topic
	MetricsNS      string        // CloudWatch namespace
	SelfFunctions  []string      // the scanner's own function names
	SelfTagKey     string        // tag the stack puts on its own functions
	CacheTTL       time.Duration // cache item lifetime
	EnableTagging  bool
	NotifySeverity string // notify on findings at or above this level
	// NotifyIgnoreUnknown: findings of unknown severity alone do not notify
	// (by default they do: unknown is never quieter than low).
	NotifyIgnoreUnknown bool
	VulnDBSourceURL     string // OSV export base URL for the mirror
	Ecosystems          []string
	// Feeds the mirror adds to the OSV data (any of nvd, kev, epss; empty:
	// none), where from, and NVD's pace: the API key's Secrets Manager
	// secret (none: the keyless rate), the delay between requests (0:
	// NVD's published pace for the key) and the requests one run may make.
	Feeds           []string
	NVDURL          string
	KEVURL          string
	EPSSURL         string
	NVDAPIKeySecret string
	NVDDelay        time.Duration
	NVDMaxRequests  int
	TmpDir          string // /tmp in Lambda
	EphemeralBytes  int64  // size of TmpDir (Lambda's ephemeral storage)
	// Cross-account: functions in another account are read through
	// arn:<partition>:iam::<account>:role/<CrossAccountRoleName> with the
	// ExternalId (given directly, or the value of the named secret).
	// Bulk scans: regions listed when a run names none, the control-plane
	// pace per account/region, and the Distributed Map's settings.
	Regions                     []string
	ControlPlaneRPS             float64
	GetFunctionRPS              float64 // GetFunction's own pace (Lambda allows 100)
	BulkMaxConcurrency          int
	BulkToleratedFailurePercent float64

	ECRMirror            string // see ECRMirrorEnv
	CrossAccountRoleName string
	ExternalID           string
	ExternalIDSecret     string
	Region               string
	Account              string
	Partition            string
}

// EndpointEnv points every AWS client at one endpoint (a local stack).
const EndpointEnv = "LAMBDASCAN_AWS_ENDPOINT"

// ECRMirrorEnv names a registry host that answers for every ECR registry
// (a local stack's in-process registry).
const ECRMirrorEnv = "LAMBDASCAN_ECR_MIRROR"

// SelfTagKey is the tag the stack puts on the scanner's own functions.
const SelfTagKey = "lambdascan:component"

// FromEnv reads the configuration; missing required settings are an error.
func FromEnv() (Config, error) {
	c := Config{
		Bucket:              os.Getenv("LAMBDASCAN_BUCKET"),
		CacheTable:          os.Getenv("LAMBDASCAN_CACHE_TABLE"),
		FindingsTable:       os.Getenv("LAMBDASCAN_FINDINGS_TABLE"),
		EventBus:            os.Getenv("LAMBDASCAN_EVENT_BUS"),
		SecurityHub:         os.Getenv("LAMBDASCAN_SECURITY_HUB") == "true",
		TopicARN:            os.Getenv("LAMBDASCAN_TOPIC_ARN"),
		MetricsNS:           envOr("LAMBDASCAN_METRICS_NAMESPACE", "LambdaScan"),
		SelfFunctions:       split(os.Getenv("LAMBDASCAN_SELF_FUNCTIONS")),
		SelfTagKey:          envOr("LAMBDASCAN_SELF_TAG", SelfTagKey),
		EnableTagging:       envOr("LAMBDASCAN_ENABLE_TAGGING", "true") == "true",
		NotifySeverity:      envOr("LAMBDASCAN_NOTIFY_SEVERITY", "high"),
		NotifyIgnoreUnknown: os.Getenv("LAMBDASCAN_NOTIFY_IGNORE_UNKNOWN") == "true",
		VulnDBSourceURL:     envOr("LAMBDASCAN_VULNDB_SOURCE_URL", "https://osv-vulnerabilities.storage.googleapis.com"),
		Ecosystems:          split(envOr("LAMBDASCAN_ECOSYSTEMS", "npm,PyPI,Go,Maven,RubyGems,NuGet,crates.io,Packagist")),
		Feeds:               split(envOr("LAMBDASCAN_FEEDS", "nvd,kev,epss")),
		NVDURL:              envOr("LAMBDASCAN_NVD_URL", DefaultNVDURL),
		KEVURL:              envOr("LAMBDASCAN_KEV_URL", DefaultKEVURL),
		EPSSURL:             envOr("LAMBDASCAN_EPSS_URL", DefaultEPSSURL),
		NVDAPIKeySecret:     os.Getenv("LAMBDASCAN_NVD_API_KEY_SECRET"),
		TmpDir:              envOr("LAMBDASCAN_TMP", os.TempDir()),
		Region:              envOr("AWS_REGION", os.Getenv("AWS_DEFAULT_REGION")),
		Account:             os.Getenv("LAMBDASCAN_ACCOUNT"),
		Partition:           envOr("LAMBDASCAN_PARTITION", "aws"),

		ECRMirror:            os.Getenv(ECRMirrorEnv),
		CrossAccountRoleName: os.Getenv("LAMBDASCAN_CROSS_ACCOUNT_ROLE"),
		ExternalID:           os.Getenv("LAMBDASCAN_EXTERNAL_ID"),
		ExternalIDSecret:     os.Getenv("LAMBDASCAN_EXTERNAL_ID_SECRET"),
	}
	c.Regions = split(envOr("LAMBDASCAN_REGIONS", c.Region))
	var err error
	if c.ControlPlaneRPS, err = strconv.ParseFloat(envOr("LAMBDASCAN_CONTROL_PLANE_RPS", "5"), 64); err != nil || c.ControlPlaneRPS <= 0 || c.ControlPlaneRPS > 15 {
		return c, fmt.Errorf("config: LAMBDASCAN_CONTROL_PLANE_RPS must be above 0 and at most Lambda's 15")
	}
	if c.GetFunctionRPS, err = strconv.ParseFloat(envOr("LAMBDASCAN_GET_FUNCTION_RPS", "40"), 64); err != nil || c.GetFunctionRPS <= 0 || c.GetFunctionRPS > 100 {
		return c, fmt.Errorf("config: LAMBDASCAN_GET_FUNCTION_RPS must be above 0 and at most Lambda's 100")
	}
	if c.BulkMaxConcurrency, err = strconv.Atoi(envOr("LAMBDASCAN_BULK_MAX_CONCURRENCY", "40")); err != nil || c.BulkMaxConcurrency < 1 {
		return c, fmt.Errorf("config: LAMBDASCAN_BULK_MAX_CONCURRENCY must be a positive number")
	}
	if c.BulkToleratedFailurePercent, err = strconv.ParseFloat(envOr("LAMBDASCAN_BULK_TOLERATED_FAILURE_PERCENT", "5"), 64); err != nil || c.BulkToleratedFailurePercent < 0 || c.BulkToleratedFailurePercent > 100 {
		return c, fmt.Errorf("config: LAMBDASCAN_BULK_TOLERATED_FAILURE_PERCENT must be 0 to 100")
	}
	if os.Getenv("LAMBDASCAN_FEEDS") == "none" {
		c.Feeds = nil
	}
	for _, f := range c.Feeds {
		if f != "nvd" && f != "kev" && f != "epss" {
			return c, fmt.Errorf("config: LAMBDASCAN_FEEDS lists %q; feeds are nvd, kev, epss (or none)", f)
		}
	}
	ms, err := strconv.Atoi(envOr("LAMBDASCAN_NVD_DELAY_MS", "0"))
	if err != nil || ms < 0 {
		return c, fmt.Errorf("config: LAMBDASCAN_NVD_DELAY_MS must be 0 (NVD's published pace) or a positive number of milliseconds")
	}
	c.NVDDelay = time.Duration(ms) * time.Millisecond
	// 60 requests at the keyless 6 s pace fit a 15-minute run beside the
	// OSV build; a first full load then spans a few daily runs.
	if c.NVDMaxRequests, err = strconv.Atoi(envOr("LAMBDASCAN_NVD_MAX_REQUESTS", "60")); err != nil || c.NVDMaxRequests < 1 {
		return c, fmt.Errorf("config: LAMBDASCAN_NVD_MAX_REQUESTS must be a positive number")
	}
	mb, err := strconv.Atoi(envOr("LAMBDASCAN_EPHEMERAL_MB", "512"))
	if err != nil || mb < 512 {
		return c, fmt.Errorf("config: LAMBDASCAN_EPHEMERAL_MB must be at least Lambda's 512")
	}
	c.EphemeralBytes = int64(mb) << 20
	days, err := strconv.Atoi(envOr("LAMBDASCAN_CACHE_TTL_DAYS", "30"))
	if err != nil || days < 1 {
		return c, fmt.Errorf("config: LAMBDASCAN_CACHE_TTL_DAYS must be a positive number of days")
	}
	c.CacheTTL = time.Duration(days) * 24 * time.Hour
	if c.Bucket == "" {
		return c, fmt.Errorf("config: LAMBDASCAN_BUCKET is not set")
	}
	return c, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func split(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// The feed publishers' URLs, the mirror's defaults (each can be replaced).
// Here, not in package feeds, so a step reading its configuration links no
// feed parser.
const (
	DefaultNVDURL  = "https://services.nvd.nist.gov/rest/json/cves/2.0"
	DefaultKEVURL  = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
	DefaultEPSSURL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"
)
