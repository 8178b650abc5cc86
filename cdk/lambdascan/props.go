// Package lambdascan is the scanner as CDK constructs: Scanner (the whole
// workflow in one account) and MemberRole (what a scanned account grants),
// usable from any CDK Go app, and the stacks `cdk deploy` creates from them.
package lambdascan

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
)

// Props are the stack's parameters (CDK context keys of the same names).
type Props struct {
	ScannerMemorySize    float64  // MB
	ScannerTimeout       float64  // seconds
	EphemeralStorage     float64  // MB of /tmp for fetch and scan
	ScannerConcurrency   float64  // reserved concurrency of the scan Lambda
	CacheTTLDays         float64  // cache item lifetime
	EnableTagging        bool     // tag scanned functions
	EnableSecurityHub    bool     // import findings into Security Hub as ASFF (Security Hub must be enabled)
	BulkScanSchedule     string   // schedule expression of the bulk scan (bulk workflow; "" = off)
	NotifySeverity       string   // notify on findings at or above
	NotifyIgnoreUnknown  bool     // findings of unknown severity alone do not notify
	CrossAccountRoleName string   // member-account role to assume ("" = this account only)
	ExternalIDSecret     string   // Secrets Manager secret holding the ExternalId
	ReportRetentionDays  float64  // reports lifecycle
	VulnDBSourceURL      string   // OSV export base URL
	Ecosystems           []string // ecosystems mirrored
	LogLevel             string   // state machine log level: ALL (default; events without execution data), ERROR, FATAL, OFF
	CreateTrail          bool     // create a CloudTrail trail (accounts without one)
	LogRetentionDays     float64  // Lambda and state machine logs
	AssetsDir            string   // where `make lambdas` put <step>/bootstrap
	Regions              []string // regions bulk runs list when a run names none (default: the stack's)
	ControlPlaneRPS      float64  // pace of Lambda control-plane calls per account/region (Lambda allows 15)
	GetFunctionRPS       float64  // pace of GetFunction per account/region (Lambda allows 100)
	BulkMaxConcurrency   float64  // child scans at once (the ASL's MaxConcurrency)
	// Feeds the mirror adds to OSV (nvd, kev, epss; empty: none), an NVD
	// API key's Secrets Manager secret ("" = NVD's keyless pace) and the
	// feed URLs ("" = the publishers').
	Feeds                   []string
	NVDAPIKeySecret         string
	NVDURL, KEVURL, EPSSURL string
	MemberOrganizationID    string   // members whose forwarded events the bus admits: the organization (aws:PrincipalOrgID) ...
	MemberAccounts          []string // ... or these accounts (then the scan rule takes only them and this account)
}

// Defaults are the documented defaults. The scanner's memory was measured:
// the largest corpus package peaks at 23 MiB RSS in the engine; 1024 MB keeps
// ample headroom and, Lambda CPU being proportional to memory, the scan fast.
func Defaults() Props {
	return Props{
		ScannerMemorySize: 1024, ScannerTimeout: 900, EphemeralStorage: 2048, ScannerConcurrency: 10,
		CacheTTLDays: 30, EnableTagging: true, NotifySeverity: "high", ReportRetentionDays: 365,
		VulnDBSourceURL: "https://osv-vulnerabilities.storage.googleapis.com",
		Ecosystems:      []string{"npm", "PyPI", "Go", "Maven", "RubyGems", "NuGet", "crates.io", "Packagist"},
		LogLevel:        "ALL", LogRetentionDays: 90, AssetsDir: "bin/lambda",
		ControlPlaneRPS: 5, GetFunctionRPS: 40, BulkMaxConcurrency: 40,
		Feeds: []string{"nvd", "kev", "epss"},
	}
}

// FromContext reads the parameters from CDK context (cdk.json or -c k=v).
func FromContext(scope constructs.Construct) (Props, error) {
	p := Defaults()
	node := scope.Node()
	str := func(k string) (string, bool) {
		v := node.TryGetContext(&k)
		if v == nil {
			return "", false
		}
		return fmt.Sprint(v), true
	}
	num := func(k string, dst *float64) error {
		if s, ok := str(k); ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return fmt.Errorf("context %s: %q is not a number", k, s)
			}
			*dst = f
		}
		return nil
	}
	boolean := func(k string, dst *bool) error {
		if s, ok := str(k); ok {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return fmt.Errorf("context %s: %q is not true/false", k, s)
			}
			*dst = b
		}
		return nil
	}
	for k, dst := range map[string]*float64{"ScannerMemorySize": &p.ScannerMemorySize, "ScannerTimeout": &p.ScannerTimeout,
		"EphemeralStorage": &p.EphemeralStorage, "ScannerConcurrency": &p.ScannerConcurrency, "CacheTTLDays": &p.CacheTTLDays,
		"ReportRetentionDays": &p.ReportRetentionDays, "LogRetentionDays": &p.LogRetentionDays,
		"ControlPlaneRPS": &p.ControlPlaneRPS, "GetFunctionRPS": &p.GetFunctionRPS, "BulkMaxConcurrency": &p.BulkMaxConcurrency} {
		if err := num(k, dst); err != nil {
			return p, err
		}
	}
	for k, dst := range map[string]*bool{"EnableTagging": &p.EnableTagging, "CreateTrail": &p.CreateTrail, "NotifyIgnoreUnknown": &p.NotifyIgnoreUnknown, "EnableSecurityHub": &p.EnableSecurityHub} {
		if err := boolean(k, dst); err != nil {
			return p, err
		}
	}
	for k, dst := range map[string]*string{"BulkScanSchedule": &p.BulkScanSchedule, "NotifySeverity": &p.NotifySeverity,
		"CrossAccountRoleName": &p.CrossAccountRoleName, "ExternalIdSecret": &p.ExternalIDSecret, "VulnDbSourceUrl": &p.VulnDBSourceURL,
		"LogLevel": &p.LogLevel, "AssetsDir": &p.AssetsDir, "NvdApiKeySecret": &p.NVDAPIKeySecret,
		"NvdUrl": &p.NVDURL, "KevUrl": &p.KEVURL, "EpssUrl": &p.EPSSURL, "MemberOrganizationId": &p.MemberOrganizationID} {
		if s, ok := str(k); ok {
			*dst = s
		}
	}
	if s, ok := str("Ecosystems"); ok {
		p.Ecosystems = strings.Split(s, ",")
	}
	if s, ok := str("Feeds"); ok {
		p.Feeds = nil
		if s != "" && s != "none" {
			p.Feeds = strings.Split(s, ",")
		}
	}
	if s, ok := str("Regions"); ok && s != "" {
		p.Regions = strings.Split(s, ",")
	}
	if s, ok := str("MemberAccounts"); ok && s != "" {
		p.MemberAccounts = strings.Split(s, ",")
	}
	return p, p.Validate()
}

// Validate checks the parameters against what Lambda and the workflow accept.
func (p Props) Validate() error {
	switch {
	case p.ScannerMemorySize < 128 || p.ScannerMemorySize > 10240:
		return fmt.Errorf("ScannerMemorySize %v: 128 to 10240 MB", p.ScannerMemorySize)
	case p.ScannerTimeout < 60 || p.ScannerTimeout > 900:
		return fmt.Errorf("ScannerTimeout %v: 60 to 900 s", p.ScannerTimeout)
	case p.EphemeralStorage < 512 || p.EphemeralStorage > 10240:
		return fmt.Errorf("EphemeralStorage %v: 512 to 10240 MB", p.EphemeralStorage)
	case p.CacheTTLDays < 1 || p.CacheTTLDays != float64(int(p.CacheTTLDays)):
		return fmt.Errorf("CacheTTLDays %v: a whole number of days, at least 1", p.CacheTTLDays)
	case p.ReportRetentionDays < 1:
		return fmt.Errorf("ReportRetentionDays %v: at least 1", p.ReportRetentionDays)
	case !oneOf(p.NotifySeverity, "low", "medium", "high", "critical"):
		return fmt.Errorf("NotifySeverity %q: low, medium, high or critical", p.NotifySeverity)
	case !oneOf(p.LogLevel, "ALL", "ERROR", "FATAL", "OFF"):
		return fmt.Errorf("LogLevel %q: ALL, ERROR, FATAL or OFF", p.LogLevel)
	case p.ExternalIDSecret != "" && p.CrossAccountRoleName == "":
		return fmt.Errorf("ExternalIdSecret needs CrossAccountRoleName")
	case p.CrossAccountRoleName != "" && p.ExternalIDSecret == "":
		// Member roles require sts:ExternalId; without it every AssumeRole fails.
		return fmt.Errorf("CrossAccountRoleName needs ExternalIdSecret (the member role requires the ExternalId)")
	case p.ControlPlaneRPS <= 0 || p.ControlPlaneRPS > 15:
		return fmt.Errorf("ControlPlaneRPS %v: above 0 and at most Lambda's 15 per account and region", p.ControlPlaneRPS)
	case p.GetFunctionRPS <= 0 || p.GetFunctionRPS > 100:
		return fmt.Errorf("GetFunctionRPS %v: above 0 and at most Lambda's 100 per account and region", p.GetFunctionRPS)
	case p.BulkMaxConcurrency < 1 || p.BulkMaxConcurrency > 10000:
		return fmt.Errorf("BulkMaxConcurrency %v: 1 to 10000", p.BulkMaxConcurrency)
	case p.BulkScanSchedule != "" && !scheduleExpr.MatchString(p.BulkScanSchedule):
		return fmt.Errorf("BulkScanSchedule %q: rate(...) or cron(...)", p.BulkScanSchedule)
	case len(p.Ecosystems) == 0:
		return fmt.Errorf("Ecosystems: at least one")
	case p.MemberOrganizationID != "" && !orgID.MatchString(p.MemberOrganizationID):
		return fmt.Errorf("MemberOrganizationId %q: o- and 10 to 32 lowercase letters or digits", p.MemberOrganizationID)
	case p.MemberOrganizationID != "" && len(p.MemberAccounts) > 0:
		return fmt.Errorf("MemberOrganizationId or MemberAccounts, not both")
	}
	for _, a := range p.MemberAccounts {
		if !accountID.MatchString(a) {
			return fmt.Errorf("MemberAccounts: %q is not a 12-digit account", a)
		}
	}
	return nil
}

var (
	orgID     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	accountID = regexp.MustCompile(`^[0-9]{12}$`)
)

var scheduleExpr = regexp.MustCompile(`^(rate|cron)\(.+\)$`)

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}
