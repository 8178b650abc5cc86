package report

import (
	"fmt"
	"strings"

	"github.com/lambdascan/lambdascan/shared/match"
)

// MaxKEVNames bounds the KEV findings a summary names (the workflow's
// state stays a few KiB).
const MaxKEVNames = 10

// KEVNames names the findings in CISA's KEV catalog, riskiest first, as
// "ID package@version" (at most MaxKEVNames).
func (r *Report) KEVNames() []string {
	fs := append([]match.Finding(nil), r.Findings...)
	match.Sort(fs)
	var out []string
	for _, f := range fs {
		if f.KEV == nil {
			continue
		}
		if len(out) == MaxKEVNames {
			break
		}
		out = append(out, f.ID+" "+f.Package.Name+"@"+f.Package.Version)
	}
	return out
}

// ParseSeverities reads a --severity list as trivy takes it:
// comma-separated, case-insensitive, any of UNKNOWN, LOW, MEDIUM, HIGH,
// CRITICAL. Empty means every level.
func ParseSeverities(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(list, ",") {
		l := strings.ToLower(strings.TrimSpace(p))
		if match.Rank(l) < 0 {
			return nil, fmt.Errorf("unknown severity %q (want UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL)", strings.TrimSpace(p))
		}
		out = append(out, l)
	}
	return out, nil
}

// FilterSeverity keeps only the findings whose severity is one of levels,
// as trivy's --severity does (a set, not a threshold), and recomputes the
// summary; the note says how many were left out. Nil levels keep all.
func (r *Report) FilterSeverity(levels []string) {
	if len(levels) == 0 {
		return
	}
	want := map[string]bool{}
	for _, l := range levels {
		want[l] = true
	}
	kept := r.Findings[:0:0]
	for _, f := range r.Findings {
		if want[f.Severity.Level] {
			kept = append(kept, f)
		}
	}
	if hid := len(r.Findings) - len(kept); hid > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("--severity %s: %d findings of other severities not shown", strings.ToUpper(strings.Join(levels, ",")), hid))
	}
	r.Findings = kept
	r.Summarize()
}

// OnlyReachable hides the Go findings below symbol level (package, module
// or unknown reachability) and says how many it hid; other ecosystems'
// findings stay, as they carry no reachability.
func (r *Report) OnlyReachable() {
	hid := map[string]int{}
	kept := r.Findings[:0:0]
	for _, f := range r.Findings {
		if f.Package.Ecosystem != "Go" || (f.Reachability != nil && f.Reachability.Level == match.ReachSymbol) {
			kept = append(kept, f)
			continue
		}
		lvl := match.ReachUnknown
		if f.Reachability != nil && f.Reachability.Level != "" {
			lvl = f.Reachability.Level
		}
		hid[lvl]++
	}
	n := len(r.Findings) - len(kept)
	if n == 0 {
		return
	}
	var parts []string
	for _, l := range []string{match.ReachPackage, match.ReachModule, match.ReachUnknown} {
		if hid[l] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", l, hid[l]))
		}
	}
	r.Notes = append(r.Notes, fmt.Sprintf("--only-reachable: %d Go findings below symbol level not shown (%s)", n, strings.Join(parts, ", ")))
	r.Findings = kept
	r.Summarize()
}
