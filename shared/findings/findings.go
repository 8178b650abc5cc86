// Package findings is the fleet's findings store: for each function version
// the current open findings and packages, in one DynamoDB table whose GSIs
// answer "which functions contain package P" and "which are affected by
// advisory A (any alias)" in one query each. The store step writes a diff:
// unchanged items are not rewritten, and a resolved finding is deleted.
//
// Items (pk, sk):
//
//	fn#<arn>  <version>#m                                  the version's meta
//	fn#<arn>  <version>#p#<eco>#<name>#<ver>#<layer>       a package
//	fn#<arn>  <version>#v#<id>#<eco>#<name>#<ver>#<layer>  a finding, once per
//	                                                       advisory id and alias
//	fn#<arn>  <version>#l#<layer ARN>                      a layer it uses
//
// GSIs: byPackage (pkg = lower-cased name, fnv), byAdvisory (adv = id or alias,
// fnv), bySeverity (sev, since; only the canonical finding item) and
// byLayer (lyr = layer version ARN, fnv: the functions sharing a layer
// version and the findings in it).
package findings

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// GSI names and their keys.
const (
	IndexByPackage  = "byPackage"
	IndexByAdvisory = "byAdvisory"
	IndexBySeverity = "bySeverity"
	IndexByLayer    = "byLayer"
)

// Function is one function version.
type Function struct {
	ARN     string `json:"functionArn"` // unqualified
	Version string `json:"version"`     // "$LATEST" or a number
	Account string `json:"account"`
	Region  string `json:"region"`
	Name    string `json:"functionName"`
}

// Package is one installed package.
type Package struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	PURL      string `json:"purl,omitempty"`
	Layer     string `json:"layer,omitempty"` // layer version ARN when it ships in a layer
}

// Finding is one advisory on one package.
type Finding struct {
	Advisory     string   `json:"advisory"`
	Aliases      []string `json:"aliases,omitempty"`
	Package      Package  `json:"package"`
	Fixed        string   `json:"fixed,omitempty"`
	Severity     string   `json:"severity"`
	Score        float64  `json:"score,omitempty"`
	KEV          bool     `json:"kev,omitempty"`
	Reachability string   `json:"reachability,omitempty"` // Go: symbol|package|module|unknown
}

// Snapshot is what one scan found in one function version.
type Snapshot struct {
	Function   Function
	CodeSha256 string
	ReportKey  string
	ScannedAt  time.Time
	Packages   []Package
	Findings   []Finding
	Layers     []string // layer version ARNs the function uses (with packages or not)
	// Complete: the scan read everything. A partial snapshot adds and
	// updates but never resolves: what it did not read may still be there.
	Complete bool
}

// Row is one answer of a query: a package, or a finding on it, in a
// function version.
type Row struct {
	Function Function  `json:"function"`
	Package  Package   `json:"package"`
	Finding  *Finding  `json:"finding,omitempty"`
	Since    time.Time `json:"since"`
}

// Diff is what a write changed.
type Diff struct {
	New       []Row `json:"new,omitempty"`      // findings not open before
	Resolved  []Row `json:"resolved,omitempty"` // findings no longer there
	Written   int   `json:"written"`            // items put
	Deleted   int   `json:"deleted"`            // items deleted
	Unchanged int   `json:"unchanged"`          // items left alone
	Kept      int   `json:"kept,omitempty"`     // items a partial snapshot did not see, left open
}

// NameKey is a package's name as the byPackage index holds it: lower-cased,
// PyPI names normalised (PEP 503). The ecosystem is not part of it, so
// "lodash" is one query; rows name their ecosystem.
func NameKey(ecosystem, name string) string {
	n := strings.ToLower(name)
	if ecosystem == "PyPI" {
		n = pep503(n)
	}
	return n
}

func pep503(n string) string { return strings.NewReplacer("_", "-", ".", "-").Replace(n) }

func (p Package) key() string {
	return strings.Join([]string{p.Ecosystem, strings.ToLower(p.Name), p.Version, p.Layer}, "#")
}

// ids are a finding's advisory id and aliases, each once.
func (f Finding) ids() []string {
	out := []string{f.Advisory}
	for _, a := range f.Aliases {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// fingerprint is the hash of what an item says (not when it was first
// seen): equal fingerprints are not rewritten.
func fingerprint(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// Levels in the order a listing shows them.
var Levels = []string{"critical", "high", "medium", "low", "unknown"}

func fnv(f Function) string { return f.ARN + ":" + f.Version }

func pk(arn string) string { return "fn#" + arn }

func versionPrefix(version string) string { return version + "#" }

func pkgSK(f Function, p Package) string { return versionPrefix(f.Version) + "p#" + p.key() }

func vulnSK(f Function, id string, p Package) string {
	return versionPrefix(f.Version) + "v#" + id + "#" + p.key()
}

func metaSK(f Function) string { return versionPrefix(f.Version) + "m" }

func layerSK(f Function, layer string) string { return versionPrefix(f.Version) + "l#" + layer }

func (d Diff) String() string {
	return fmt.Sprintf("%d new, %d resolved, %d written, %d deleted, %d unchanged, %d kept", len(d.New), len(d.Resolved), d.Written, d.Deleted, d.Unchanged, d.Kept)
}
