// Package securityhub imports the fleet's findings into AWS Security Hub as
// ASFF: one finding per function version × advisory × package with a
// stable Id, ACTIVE/NEW while open and ARCHIVED/RESOLVED once fixed or
// once the function is gone.
package securityhub

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/findings"
)

// MaxPerCall is BatchImportFindings' limit.
const MaxPerCall = 100

// API is the part of Security Hub the importer calls.
type API interface {
	BatchImportFindings(context.Context, *securityhub.BatchImportFindingsInput, ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
}

// Importer imports into one account's and region's Security Hub.
type Importer struct {
	API        API
	ProductARN string
	Partition  string
	Backoff    time.Duration // between retries (default 200ms, doubling)
}

// ProductARN is the product of an account's own findings.
func ProductARN(partition, region, account string) string {
	return fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", partition, region, account, account)
}

// Open is an importer for the stack's account and region.
func Open(env awsclient.Env, partition, region, account string) *Importer {
	return &Importer{API: securityhub.NewFromConfig(env.Config, func(o *securityhub.Options) { o.BaseEndpoint = env.Base() }),
		ProductARN: ProductARN(partition, region, account), Partition: partition}
}

// ID is a finding's stable Id: the same function version, advisory and
// package give the same Id on every import, so an update replaces it.
func ID(r findings.Row) string {
	advisory := ""
	if r.Finding != nil {
		advisory = r.Finding.Advisory
	}
	parts := []string{"lambdascan", r.Function.ARN + ":" + r.Function.Version, advisory, r.Package.Ecosystem, r.Package.Name, r.Package.Version}
	if r.Package.Layer != "" {
		parts = append(parts, r.Package.Layer)
	}
	return strings.Join(parts, "/")
}

// labels: an unknown severity is never quieter than low.
var labels = map[string]types.SeverityLabel{"critical": types.SeverityLabelCritical, "high": types.SeverityLabelHigh,
	"medium": types.SeverityLabelMedium, "low": types.SeverityLabelLow, "unknown": types.SeverityLabelLow}

// Finding is the ASFF of a row; open false archives it and resolves its
// workflow.
func (im *Importer) Finding(r findings.Row, open bool, now time.Time) types.AwsSecurityFinding {
	f := r.Finding
	if f == nil {
		f = &findings.Finding{Package: r.Package, Severity: "unknown"}
	}
	label := labels[f.Severity]
	if label == "" {
		label = types.SeverityLabelLow
	}
	created := r.Since
	if created.IsZero() {
		created = now
	}
	pkgName := r.Package.Name + " " + r.Package.Version
	where := "function code"
	if r.Package.Layer != "" {
		where = "layer " + r.Package.Layer
	}
	fix := "No fixed version is known."
	if f.Fixed != "" {
		fix = "Upgrade " + r.Package.Name + " to " + f.Fixed + "."
	}
	pkg := types.SoftwarePackage{Name: aws.String(r.Package.Name), Version: aws.String(r.Package.Version), PackageManager: aws.String(r.Package.Ecosystem)}
	if f.Fixed != "" {
		pkg.FixedInVersion, pkg.Remediation = aws.String(f.Fixed), aws.String(fix)
	}
	if r.Package.Layer != "" {
		pkg.SourceLayerArn = aws.String(r.Package.Layer)
	}
	vuln := types.Vulnerability{Id: aws.String(f.Advisory), RelatedVulnerabilities: f.Aliases, VulnerablePackages: []types.SoftwarePackage{pkg},
		Vendor:       &types.VulnerabilityVendor{Name: aws.String("OSV"), Url: aws.String("https://osv.dev/vulnerability/" + f.Advisory), VendorSeverity: aws.String(strings.ToUpper(f.Severity))},
		FixAvailable: types.VulnerabilityFixAvailableNo, ExploitAvailable: types.VulnerabilityExploitAvailableNo}
	if f.Fixed != "" {
		vuln.FixAvailable = types.VulnerabilityFixAvailableYes
	}
	if f.KEV {
		vuln.ExploitAvailable = types.VulnerabilityExploitAvailableYes // in CISA's KEV catalog
	}
	if f.Score > 0 {
		vuln.Cvss = []types.Cvss{{BaseScore: aws.Float64(f.Score)}}
	}
	lambda := &types.AwsLambdaFunctionDetails{FunctionName: aws.String(r.Function.Name), Version: aws.String(r.Function.Version)}
	if r.Package.Layer != "" {
		lambda.Layers = []types.AwsLambdaFunctionLayer{{Arn: aws.String(r.Package.Layer)}}
	}
	out := types.AwsSecurityFinding{
		SchemaVersion: aws.String("2018-10-08"), Id: aws.String(ID(r)), ProductArn: aws.String(im.ProductARN),
		GeneratorId: aws.String("lambdascan"), AwsAccountId: aws.String(r.Function.Account), Region: aws.String(r.Function.Region),
		Types:     []string{"Software and Configuration Checks/Vulnerabilities/CVE"},
		CreatedAt: aws.String(created.UTC().Format(time.RFC3339)), UpdatedAt: aws.String(now.UTC().Format(time.RFC3339)),
		Severity:              &types.Severity{Label: label, Original: aws.String(f.Severity)},
		FindingProviderFields: &types.FindingProviderFields{Severity: &types.FindingProviderSeverity{Label: label, Original: aws.String(f.Severity)}},
		Title:                 aws.String(truncate(f.Advisory+" in "+pkgName, 256)),
		Description:           aws.String(truncate(fmt.Sprintf("%s affects %s (%s) in %s %s. %s", f.Advisory, pkgName, r.Package.Ecosystem, r.Function.Name, where, fix), 1024)),
		Resources: []types.Resource{{Type: aws.String("AwsLambdaFunction"), Id: aws.String(r.Function.ARN), Partition: types.Partition(im.Partition),
			Region: aws.String(r.Function.Region), Details: &types.ResourceDetails{AwsLambdaFunction: lambda}}},
		Vulnerabilities: []types.Vulnerability{vuln},
		RecordState:     types.RecordStateActive,
		Workflow:        &types.Workflow{Status: types.WorkflowStatusNew},
	}
	if !open {
		out.RecordState, out.Workflow = types.RecordStateArchived, &types.Workflow{Status: types.WorkflowStatusResolved}
	}
	return out
}

// Diff is the findings of a findings-store diff: new ones open, resolved
// ones archived.
func (im *Importer) Diff(d findings.Diff, now time.Time) []types.AwsSecurityFinding {
	var out []types.AwsSecurityFinding
	for _, r := range d.New {
		out = append(out, im.Finding(r, true, now))
	}
	for _, r := range d.Resolved {
		out = append(out, im.Finding(r, false, now))
	}
	return out
}

// FailedError names the findings Security Hub kept refusing.
type FailedError struct {
	Failed []string // "Id: code message"
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("securityhub: %d finding(s) not imported: %s", len(e.Failed), strings.Join(e.Failed, "; "))
}

// Import sends the findings ≤ 100 a call. Findings the answer lists as
// failed are retried with backoff (a throttled or transient refusal);
// those still failing are named in a *FailedError.
func (im *Importer) Import(ctx context.Context, fs []types.AwsSecurityFinding) error {
	backoff := im.Backoff
	if backoff == 0 {
		backoff = 200 * time.Millisecond
	}
	var failed []string
	for start := 0; start < len(fs); start += MaxPerCall {
		batch := fs[start:min(start+MaxPerCall, len(fs))]
		for attempt := 0; len(batch) > 0; attempt++ {
			out, err := im.API.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: batch})
			if err != nil {
				return awsclient.Classify("securityhub import", err)
			}
			byID := map[string]types.AwsSecurityFinding{}
			for _, f := range batch {
				byID[aws.ToString(f.Id)] = f
			}
			var retry []types.AwsSecurityFinding
			for _, e := range out.FailedFindings {
				f, ok := byID[aws.ToString(e.Id)]
				if !ok || attempt >= 3 {
					failed = append(failed, fmt.Sprintf("%s: %s %s", aws.ToString(e.Id), aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage)))
					continue
				}
				retry = append(retry, f)
			}
			batch = retry
			if len(batch) > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(backoff << attempt):
				}
			}
		}
	}
	if len(failed) > 0 {
		return &FailedError{Failed: failed}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
