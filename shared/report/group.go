package report

import (
	"github.com/google/osv-scalibr/semantic"

	"github.com/lambdascan/lambdascan/shared/ecosystem"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
)

// PackageGroup is the findings of one package, for a table that shows one
// line per package ("Go stdlib 1.20.14 → 1.23.12 fixes 70 (max high, 3
// reachable)") before its findings.
type PackageGroup struct {
	Package  inventory.Package
	Findings []match.Finding // in risk order
	// FixTo is the lowest version that fixes every finding that has a fix
	// (the highest of their nearest fixed versions); Fixes counts those
	// findings. "" and 0 when none has a fix.
	FixTo       string
	Fixes       int
	MaxSeverity string
	Reachable   int // Go findings at symbol level
	KEV         int // findings in CISA's KEV catalog
}

// GroupByPackage groups findings by package (ecosystem, name, version and
// where it sits), the groups in the risk order of their riskiest finding.
func GroupByPackage(fs []match.Finding) []PackageGroup {
	sorted := append([]match.Finding(nil), fs...)
	match.Sort(sorted)
	type key struct{ eco, name, version, layer, path string }
	var out []PackageGroup
	at := map[key]int{}
	for _, f := range sorted {
		p := f.Package
		k := key{p.Ecosystem, p.Name, p.Version, p.Origin.Layer, ""}
		if len(p.Paths) > 0 {
			k.path = p.Paths[0]
		}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, PackageGroup{Package: p, MaxSeverity: f.Severity.Level})
		}
		g := &out[i]
		g.Findings = append(g.Findings, f)
		if match.Rank(f.Severity.Level) > match.Rank(g.MaxSeverity) {
			g.MaxSeverity = f.Severity.Level
		}
		if f.Reachability != nil && f.Reachability.Level == match.ReachSymbol {
			g.Reachable++
		}
		if f.KEV != nil {
			g.KEV++
		}
		if f.FixedVersion != "" {
			g.Fixes++
			if g.FixTo == "" || versionLess(p.Ecosystem, g.FixTo, f.FixedVersion) {
				g.FixTo = f.FixedVersion
			}
		}
	}
	return out
}

// versionLess compares in the package's ecosystem (osv-scalibr's semantic);
// versions it cannot compare keep the first one seen.
func versionLess(eco, a, b string) bool {
	va, err := semantic.Parse(a, ecosystem.Base(eco))
	if err != nil {
		return false
	}
	c, err := va.CompareStr(b)
	return err == nil && c < 0
}
