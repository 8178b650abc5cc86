package goreach

import (
	"sort"
	"strings"

	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// Assess gives the reachability of an advisory on module mod ("stdlib" for
// the standard library) in the binary whose table is t, with govulncheck's
// binary-mode levels:
//
//   - symbol: a vulnerable function is linked (a record that names no
//     symbols for a package, or no package for the module, makes every
//     function of it vulnerable);
//   - package: a vulnerable package has linked functions, none vulnerable;
//   - module: only the module is in the build info;
//   - unknown: no table (t nil), a record without symbol data, or a level
//     below symbol that the table cannot prove (inline trees unread).
//
// affected are the advisory's entries for mod.
func Assess(t *Table, mod string, affected []vulndb.Affected) *match.Reachability {
	unknown := &match.Reachability{Level: match.ReachUnknown}
	if t == nil {
		return unknown
	}
	level := match.ReachModule
	var syms []string
	for _, a := range affected {
		if a.Go == nil {
			return unknown
		}
		if len(a.Go.Imports) == 0 {
			// No package named: every package of the module is vulnerable.
			if t.hasModule(mod) {
				level = match.ReachSymbol
			}
			continue
		}
		for _, imp := range a.Go.Imports {
			if !platform(t.GOOS, imp.GOOS) || !platform(t.GOARCH, imp.GOARCH) {
				continue // this code is not built for the binary's platform
			}
			if !t.HasPackage(imp.Path) {
				continue
			}
			if len(imp.Symbols) == 0 {
				level = match.ReachSymbol
				continue
			}
			if level != match.ReachSymbol {
				level = match.ReachPackage
			}
			for _, s := range imp.Symbols {
				if t.HasSymbol(imp.Path, s) {
					level = match.ReachSymbol
					syms = append(syms, imp.Path+"."+s)
				}
			}
		}
	}
	if level != match.ReachSymbol && !t.Inlined {
		// A function inlined everywhere leaves no entry of its own.
		return unknown
	}
	sort.Strings(syms)
	return &match.Reachability{Level: level, Symbols: compact(syms)}
}

func (t *Table) hasModule(mod string) bool {
	found := false
	t.Packages(func(p string) {
		if found {
			return
		}
		if mod == "stdlib" {
			found = isStd(p)
			return
		}
		found = p == mod || strings.HasPrefix(p, mod+"/")
	})
	return found
}

// isStd: standard library paths have no dot in their first element.
func isStd(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return !strings.Contains(first, ".") && first != "main"
}

// platform: an empty list or an unknown value matches (govulncheck's rule).
func platform(v string, list []string) bool {
	if v == "" || len(list) == 0 {
		return true
	}
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
