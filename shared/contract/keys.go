package contract

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Object keys in the stack's bucket. Staging is content-addressed, so a
// package shared by many functions is copied once.
const (
	StagingPrefix = "staging/"
	LayersPrefix  = "layers/" // filtered image layers, kept longer than staging
	ResultsPrefix = "results/"
	ReportsPrefix = "reports/"
	VulnDBPrefix  = "vulndb/"
	BulkPrefix    = "bulk/" // a bulk run's item list and summary
	// BulkResultsPrefix is where the bulk Map's ResultWriter puts child
	// results (<map run id>/manifest.json and result files); the ASL spells it.
	BulkResultsPrefix = BulkPrefix + "results/"
	// VulnDBPointer names the current index (see VulnDBPointerDoc).
	VulnDBPointer = VulnDBPrefix + "current.json"
)

// VulnDBPointerDoc is the content of VulnDBPointer.
type VulnDBPointerDoc struct {
	Key     string    `json:"key"`
	Version string    `json:"version"`
	BuiltAt time.Time `json:"builtAt"`
}

// hexSha turns Lambda's base64 CodeSha256 into hex for keys.
func hexSha(codeSha256 string) string {
	if b, err := base64.StdEncoding.DecodeString(codeSha256); err == nil && len(b) == sha256.Size {
		return hex.EncodeToString(b)
	}
	sum := sha256.Sum256([]byte(codeSha256))
	return hex.EncodeToString(sum[:])
}

// StagingKey is where a package with that CodeSha256 is staged.
func StagingKey(codeSha256 string) string {
	return StagingPrefix + hexSha(codeSha256) + ".zip"
}

// ImageLayerKey is where an image layer (by compressed digest), filtered to
// the files the scan reads, is staged; version is inventory.Version (a new
// extractor set keeps other files, so it needs new keys).
func ImageLayerKey(digest, version string) string {
	return LayersPrefix + "image/v" + version + "/" + strings.TrimPrefix(digest, "sha256:") + ".tar"
}

// LayerInventoryKey is where the inventory of a layer version (immutable)
// is cached; version is inventory.Version.
func LayerInventoryKey(layerARN, version string) string {
	sum := sha256.Sum256([]byte(layerARN))
	return LayersPrefix + "inventory/v" + version + "/" + hex.EncodeToString(sum[:]) + ".json"
}

// ImageConfigKey is where an image's config JSON is staged.
func ImageConfigKey(digest string) string {
	return StagingPrefix + "images/" + strings.TrimPrefix(digest, "sha256:") + "/config.json"
}

// ResultKeys are where the scan step writes its documents for one scan.
func ResultKeys(scanID string) (report, cyclonedx, spdx string) {
	base := ResultsPrefix + scanID + "/"
	return base + "report.json", base + "cyclonedx.json", base + "spdx.json"
}

// ScanID identifies one scan of one function's code, layers, runtime and DB.
func ScanID(functionARN string, code Code, dbVersion string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s\n", functionARN, code.CodeSha256, code.Runtime, strings.Join(code.Layers, ","), dbVersion)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// ReportKey is reports/<account>/<region>/<function-name>/<timestamp>.json;
// milliseconds keep two executions started in one second apart.
func ReportKey(t Target, at time.Time) string {
	return fmt.Sprintf("%s%s/%s/%s/%s.json", ReportsPrefix, t.Account, t.Region, t.Name, at.UTC().Format("20060102T150405.000Z"))
}

// LatestReportKey is the function's latest.json.
func LatestReportKey(t Target) string {
	return fmt.Sprintf("%s%s/%s/%s/latest.json", ReportsPrefix, t.Account, t.Region, t.Name)
}

// BulkItemsKey is where a bulk run's listed functions are.
func BulkItemsKey(runID string) string { return BulkPrefix + runID + "/items.json" }

// BulkSummaryKey is where a bulk run's summary is.
func BulkSummaryKey(runID string) string { return BulkPrefix + runID + "/summary.json" }

// SBOM formats stored beside a function's report.
const (
	FormatCycloneDX = "cyclonedx"
	FormatSPDX      = "spdx"
)

// SBOMKey is where a function's SBOM in format is stored beside its report
// (reports/.../<ts>.json → reports/.../<ts>.cyclonedx.json).
func SBOMKey(reportKey, format string) string {
	return strings.TrimSuffix(reportKey, ".json") + "." + format + ".json"
}
