// Package match decides which advisories affect which packages, comparing
// versions with osv-scalibr's semantic package (never our own comparator).
package match

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/lambdascan/lambdascan/shared/ecosystem"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// Finding is one advisory affecting one package.
type Finding struct {
	ID           string            `json:"id"`
	Aliases      []string          `json:"aliases,omitempty"`
	Summary      string            `json:"summary,omitempty"`
	URL          string            `json:"url,omitempty"`
	Severity     Severity          `json:"severity"`
	FixedVersion string            `json:"fixed_version,omitempty"`
	Package      inventory.Package `json:"package"`
	// KEV is set when a CVE alias is in CISA's Known Exploited
	// Vulnerabilities catalog; EPSS is FIRST's exploit prediction for the
	// highest-scoring CVE alias.
	KEV  *KEV  `json:"kev,omitempty"`
	EPSS *EPSS `json:"epss,omitempty"`
	// Reachability is set on Go findings: how much of the vulnerable code
	// the binary links (govulncheck's levels).
	Reachability *Reachability `json:"reachability,omitempty"`
}

// KEV is a CISA KEV catalog entry.
type KEV struct {
	DateAdded       string `json:"dateAdded"`
	DueDate         string `json:"dueDate,omitempty"`
	KnownRansomware bool   `json:"knownRansomware"`
}

// EPSS is a FIRST EPSS score.
type EPSS struct {
	Score      float64 `json:"score"`
	Percentile float64 `json:"percentile"`
	Date       string  `json:"date,omitempty"`
}

// Reachability levels, as govulncheck names them.
const (
	ReachSymbol  = "symbol"
	ReachPackage = "package"
	ReachModule  = "module"
	ReachUnknown = "unknown"
)

// Reachability says what of an advisory's vulnerable code a Go binary holds.
type Reachability struct {
	Level   string   `json:"level"`
	Symbols []string `json:"symbols,omitempty"` // vulnerable functions found in the binary
}

// Skip says why a package could not be matched.
type Skip struct {
	Package inventory.Package `json:"package"`
	Code    string            `json:"code"`
	Reason  string            `json:"reason"`
}

// Skip codes.
const (
	SkipNoVersion       = "no_version"
	SkipBadVersion      = "version_not_comparable"
	SkipNoEcosystemData = "no_vuln_data"
)

// Lookuper is the part of the vuln index matching needs.
type Lookuper interface {
	Lookup(ecosystem, name string) ([]vulndb.Advisory, error)
	// Covers reports whether the index holds data for the ecosystem.
	Covers(ecosystem string) bool
}

// Packages matches every package against the index. Packages whose version
// cannot be compared are returned as skips, never silently dropped.
func Packages(db Lookuper, pkgs []inventory.Package) ([]Finding, []Skip, error) {
	var out []Finding
	var skips []Skip
	for _, p := range pkgs {
		if p.Version == "" || p.Version == "(devel)" {
			skips = append(skips, Skip{Package: p, Code: SkipNoVersion, Reason: "no version"})
			continue
		}
		if !db.Covers(p.Ecosystem) {
			// Zero findings must not read as "clean" when there was no data.
			skips = append(skips, Skip{Package: p, Code: SkipNoEcosystemData, Reason: "the vulnerability database has no " + p.Ecosystem + " data"})
			continue
		}
		advs, err := db.Lookup(p.Ecosystem, p.Name)
		if err != nil {
			return nil, nil, err
		}
		if len(advs) == 0 {
			continue
		}
		v, err := semantic.Parse(p.Version, ecosystem.Base(p.Ecosystem))
		if err != nil {
			skips = append(skips, Skip{Package: p, Code: SkipBadVersion, Reason: fmt.Sprintf("version %q not comparable: %v", p.Version, err)})
			continue
		}
		for _, adv := range advs {
			hit, aff, fixed := Affects(adv, p, v)
			if !hit {
				continue
			}
			kev, epss := exploitOf(adv)
			out = append(out, Finding{
				ID: adv.ID, Aliases: adv.Aliases, Summary: adv.Summary, URL: adv.URL,
				Severity: severityOf(adv, aff), FixedVersion: fixed, Package: p,
				KEV: kev, EPSS: epss,
			})
		}
	}
	Sort(out)
	return out, skips, nil
}

// Sort orders findings by risk: known exploited (KEV) first, then Go
// reachability (symbol, package, module, then unknown or none), then
// severity, then EPSS score, then CVSS score; package and id break ties.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if ka, kb := a.KEV != nil, b.KEV != nil; ka != kb {
			return ka
		}
		if ra, rb := ReachRank(a.Reachability), ReachRank(b.Reachability); ra != rb {
			return ra > rb
		}
		if ra, rb := Rank(a.Severity.Level), Rank(b.Severity.Level); ra != rb {
			return ra > rb
		}
		if ea, eb := epssScore(a.EPSS), epssScore(b.EPSS); ea != eb {
			return ea > eb
		}
		if a.Severity.Score != b.Severity.Score {
			return a.Severity.Score > b.Severity.Score
		}
		if a.Package.Name != b.Package.Name {
			return a.Package.Name < b.Package.Name
		}
		if a.Package.Version != b.Package.Version {
			return a.Package.Version < b.Package.Version
		}
		return a.ID < b.ID
	})
}

// ReachRank orders reachability: symbol 3, package 2, module 1, unknown
// (or none: not a Go finding) 0.
func ReachRank(r *Reachability) int {
	if r == nil {
		return 0
	}
	switch r.Level {
	case ReachSymbol:
		return 3
	case ReachPackage:
		return 2
	case ReachModule:
		return 1
	}
	return 0
}

func epssScore(e *EPSS) float64 {
	if e == nil {
		return -1
	}
	return e.Score
}

// Affects reports whether the advisory affects package p at parsed version v,
// the affected entry that matched, and the nearest fixed version above v.
func Affects(adv vulndb.Advisory, p inventory.Package, v semantic.Version) (bool, *vulndb.Affected, string) {
	hit := false
	var hitAff *vulndb.Affected
	var fixes []string
	for i := range adv.Affected {
		a := &adv.Affected[i]
		if !sameEcosystem(a.Ecosystem, p.Ecosystem) ||
			ecosystem.NormalizeName(a.Ecosystem, a.Name) != ecosystem.NormalizeName(p.Ecosystem, p.Name) {
			continue
		}
		affected := false
		// Every range is evaluated on its own, whatever its position: a GIT
		// range listed first must not hide the ECOSYSTEM range after it.
		for _, r := range a.Ranges {
			if r.Type != "ECOSYSTEM" && r.Type != "SEMVER" {
				continue
			}
			in, fixed := inRange(r, ecosystem.Base(p.Ecosystem), v)
			if in {
				affected = true
				fixes = append(fixes, fixed...)
			}
		}
		// versions[] is checked last: the lists are long (PyPI) and the
		// ranges usually decide already.
		affected = affected || inVersions(a.Versions, p.Version, v)
		if affected && !hit {
			hit, hitAff = true, a
		}
	}
	if !hit {
		return false, nil, ""
	}
	return true, hitAff, nearest(fixes, ecosystem.Base(p.Ecosystem))
}

// sameEcosystem: "Debian:12" data applies to a "Debian:12" package; data
// without a suffix applies to any release of the ecosystem.
func sameEcosystem(data, pkg string) bool {
	if ecosystem.Base(data) != ecosystem.Base(pkg) {
		return false
	}
	return data == ecosystem.Base(data) || pkg == ecosystem.Base(pkg) || data == pkg
}

func inVersions(list []string, raw string, v semantic.Version) bool {
	for _, s := range list {
		if s == raw {
			return true
		}
	}
	// Equal versions spelled differently ("1.0" and "1.0.0" in PyPI) share
	// their leading number; parsing only those keeps long lists cheap.
	lead := leadingNumber(raw)
	for _, s := range list {
		// An epoch ("1!2.0") moves the leading number: compare those fully.
		if l := leadingNumber(s); l != lead && l != "" && lead != "" && !strings.Contains(s+raw, "!") {
			continue
		}
		if c, err := v.CompareStr(s); err == nil && c == 0 {
			return true
		}
	}
	return false
}

// leadingNumber is the first run of digits, without leading zeros ("" if
// the version does not start with one, after an optional "v").
func leadingNumber(s string) string {
	s = strings.TrimPrefix(s, "v")
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n := strings.TrimLeft(s[:end], "0")
	if n == "" && end > 0 {
		return "0"
	}
	return n
}

type event struct {
	kind    int // 0 introduced, 1 fixed, 2 last_affected
	version string
	parsed  semantic.Version
}

// inRange applies the OSV range algorithm: events sorted by version, the last
// one at or below v decides. It also returns the fixed versions above v.
func inRange(r vulndb.Range, eco string, v semantic.Version) (bool, []string) {
	affected := false
	var evs []event
	var limits []string
	for _, e := range r.Events {
		ev := event{}
		switch {
		case e.Introduced == "0":
			affected = true // before every version
			continue
		case e.Introduced != "":
			ev = event{kind: 0, version: e.Introduced}
		case e.Fixed != "":
			ev = event{kind: 1, version: e.Fixed}
		case e.LastAffected != "":
			ev = event{kind: 2, version: e.LastAffected}
		case e.Limit != "":
			limits = append(limits, e.Limit)
			continue
		default:
			continue
		}
		pv, err := semantic.Parse(ev.version, eco)
		if err != nil {
			continue // an unparsable event cannot move the state
		}
		ev.parsed = pv
		evs = append(evs, ev)
	}
	// At equal versions introduced sorts first, so {introduced: X, fixed: X}
	// affects nothing.
	sort.SliceStable(evs, func(i, j int) bool {
		if c, err := evs[i].parsed.Compare(evs[j].parsed); err == nil && c != 0 {
			return c < 0
		}
		return evs[i].kind < evs[j].kind
	})
	var fixedAbove []string
	for _, e := range evs {
		c, err := v.Compare(e.parsed)
		if err != nil {
			continue
		}
		switch e.kind {
		case 0:
			if c >= 0 {
				affected = true
			}
		case 1:
			if c >= 0 {
				affected = false
			} else {
				fixedAbove = append(fixedAbove, e.version)
			}
		case 2:
			if c > 0 {
				affected = false
			}
		}
	}
	// limit events: affected only below at least one of them; "*" is no limit.
	if len(limits) > 0 && affected {
		below := false
		for _, l := range limits {
			if l == "*" {
				below = true
				break
			}
			if c, err := v.CompareStr(l); err == nil && c < 0 {
				below = true
				break
			}
		}
		affected = below
	}
	return affected, fixedAbove
}

// nearest picks the lowest fixed version above v.
func nearest(fixes []string, eco string) string {
	best := ""
	var bestV semantic.Version
	for _, f := range fixes {
		fv, err := semantic.Parse(f, eco)
		if err != nil {
			continue
		}
		if best == "" {
			best, bestV = f, fv
			continue
		}
		if c, err := fv.Compare(bestV); err == nil && c < 0 {
			best, bestV = f, fv
		}
	}
	return best
}
