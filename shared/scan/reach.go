package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/osv-scalibr/semantic"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/ecosystem"
	"github.com/lambdascan/lambdascan/shared/goreach"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// BinaryOpener opens the file at a package path ("/var/task/bootstrap") of
// the scanned target for reading; close releases it.
type BinaryOpener func(ctx context.Context, origin inventory.Origin, p string) (r io.ReaderAt, close func(), err error)

// errNotInSources: the binary's inventory came from cache (a layer version
// scanned before), so neither the inventory nor the sources hold it.
var errNotInSources = errors.New("binary not available to this scan (its inventory came from cache)")

// reach sets Reachability on every Go finding. Each binary's function table
// is read once, and only for binaries that have Go findings. It returns
// notes for the binaries whose table could not be read.
func reach(ctx context.Context, db match.Lookuper, findings []match.Finding, open BinaryOpener) []string {
	type result struct {
		t   *goreach.Table
		err error
	}
	tables := map[string]result{}
	table := func(o inventory.Origin, p string) result {
		key := o.Kind + "\x00" + o.Layer + "\x00" + p
		if r, ok := tables[key]; ok {
			return r
		}
		var r result
		if open == nil {
			r.err = errNotInSources
		} else if ra, done, err := open(ctx, o, p); err != nil {
			r.err = err
		} else {
			r.t, r.err = goreach.Read(ra)
			done()
		}
		tables[key] = r
		return r
	}
	failed := map[string]error{}
	for i := range findings {
		f := &findings[i]
		if f.Package.Ecosystem != "Go" {
			continue
		}
		aff, err := affectedOf(db, f)
		if err != nil {
			f.Reachability = &match.Reachability{Level: match.ReachUnknown}
			continue
		}
		// A module merged from several binaries ships in each: the finding
		// takes the highest level, and unknown beats any level it could hide.
		var best *match.Reachability
		for _, p := range f.Package.Paths {
			r := table(f.Package.Origin, p)
			if r.err != nil {
				failed[p] = r.err
			}
			best = higher(best, goreach.Assess(r.t, f.Package.Name, aff))
		}
		if best == nil {
			best = &match.Reachability{Level: match.ReachUnknown}
		}
		f.Reachability = best
	}
	var notes []string
	for _, p := range sortedErrKeys(failed) {
		notes = append(notes, fmt.Sprintf("Go reachability unknown for %s: %v", p, failed[p]))
	}
	return notes
}

// higher combines two binaries' levels for one finding.
func higher(a, b *match.Reachability) *match.Reachability {
	if a == nil {
		return b
	}
	rank := map[string]int{match.ReachModule: 0, match.ReachPackage: 1, match.ReachUnknown: 2, match.ReachSymbol: 3}
	if rank[b.Level] > rank[a.Level] {
		return b
	}
	if a.Level == match.ReachSymbol && b.Level == match.ReachSymbol {
		return &match.Reachability{Level: a.Level, Symbols: union(a.Symbols, b.Symbols)}
	}
	return a
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string(nil), a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// affectedOf returns the finding's advisory entries for its module (the
// index lookup is cached by the index).
func affectedOf(db match.Lookuper, f *match.Finding) ([]vulndb.Affected, error) {
	advs, err := db.Lookup(f.Package.Ecosystem, f.Package.Name)
	if err != nil {
		return nil, err
	}
	for _, a := range advs {
		if a.ID != f.ID {
			continue
		}
		// Only the entries whose ranges hold this version count (a record
		// may name other packages for other release branches), as in
		// govulncheck; all of them if the version cannot be compared here.
		v, verr := semantic.Parse(f.Package.Version, ecosystem.Base(f.Package.Ecosystem))
		var out []vulndb.Affected
		for _, e := range a.Affected {
			if e.Name != f.Package.Name {
				continue
			}
			if verr == nil {
				one := a
				one.Affected = []vulndb.Affected{e}
				if hit, _, _ := match.Affects(one, f.Package, v); !hit {
					continue
				}
			}
			out = append(out, e)
		}
		return out, nil
	}
	return nil, fmt.Errorf("advisory %s not in the index", f.ID)
}

// heldFirst reads a binary the inventory still holds open, and opens it
// with open otherwise (an inventory from cache, a platform without dup).
func heldFirst(inv *inventory.Result, open BinaryOpener) BinaryOpener {
	return func(ctx context.Context, o inventory.Origin, p string) (io.ReaderAt, func(), error) {
		if r, ok := inv.GoBinary(o, p); ok {
			return r, func() {}, nil
		}
		if open == nil {
			return nil, nil, errNotInSources
		}
		return open(ctx, o, p)
	}
}

// sourceOpener opens package paths in the scan's own sources: the zip is
// opened again and only the binary's entry is inflated.
func sourceOpener(sources []inventory.Source, lim archive.Limits) BinaryOpener {
	return func(ctx context.Context, o inventory.Origin, p string) (io.ReaderAt, func(), error) {
		rel := strings.TrimPrefix(p, o.Root()+"/")
		if rel == p || !pathOK(rel) {
			return nil, nil, errNotInSources
		}
		for _, src := range sources {
			if src.Origin.Kind != "" && (src.Origin.Kind != o.Kind || src.Origin.Layer != o.Layer) {
				continue
			}
			if r, done, err := openIn(src.Path, rel, lim); err == nil {
				return r, done, nil
			} else if !errors.Is(err, os.ErrNotExist) {
				return nil, nil, err
			}
		}
		return nil, nil, errNotInSources
	}
}

func pathOK(rel string) bool {
	return rel != "" && path.Clean(rel) == rel && !strings.HasPrefix(rel, "../") && rel != ".."
}

func openIn(src, rel string, lim archive.Limits) (io.ReaderAt, func(), error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, nil, err
	}
	if st.IsDir() {
		f, err := os.Open(filepath.Join(src, filepath.FromSlash(rel)))
		if err != nil {
			return nil, nil, err
		}
		return f, func() { f.Close() }, nil
	}
	zf, err := os.Open(src)
	if err != nil {
		return nil, nil, err
	}
	z, err := archive.Open(zf, st.Size(), lim)
	if err != nil {
		zf.Close()
		return nil, nil, err
	}
	f, err := z.Open(rel)
	if err != nil {
		zf.Close()
		return nil, nil, err
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		f.Close()
		zf.Close()
		return nil, nil, fmt.Errorf("%s: not a regular file", rel)
	}
	return ra, func() { f.Close(); zf.Close() }, nil
}

func sortedErrKeys(m map[string]error) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
