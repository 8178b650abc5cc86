package scan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/lambdascan/lambdascan/shared/feeds"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// The accuracy check compares our findings on ../shared/corpus with the peer
// scanner's (OSV-Scanner v2.6.0 on the same data). Every peer finding must be
// ours too, unless deliberateMisses explains (and the OSV record confirms)
// why not; every extra finding of ours must be explained in extras.

// extraReason explains a finding we report and the peer does not, or a peer
// finding we do not report. kind names a fact the test re-checks, so a reason
// cannot go stale silently:
//   - bundled:     our package was recovered from bundled JavaScript
//   - not-shipped: the package is absent from what the zip deploys (our
//     inventory does not have it) though a lockfile lists it as dev-only
//   - withdrawn:   the OSV record is withdrawn (absent from our index)
type extraReason struct{ pkg, id, kind, why string }

// extras: keyed by corpus package; pkg is "name@version" (lower case).
var extras = map[string][]extraReason{
	"node20-esbuild-bundle": {
		{"handlebars@4.5.3", "GHSA-f2jv-r9rf-7988", "bundled", "esbuild bundle; VERSION constant in the handlebars module section; the peer sees no packages in bundles"},
		{"underscore@1.12.0", "GHSA-cf4h-3jhx-xvhq", "bundled", "esbuild bundle; VERSION constant in the underscore module section"},
	},
}

// deliberateMisses: peer findings we do not report, with the reason.
var deliberateMisses = map[string][]extraReason{
	"node20-express-api": {
		{"json5@1.0.1", "GHSA-9c47-m6qq-7p4h", "not-shipped", "devDependency in package-lock.json only; npm ci --omit=dev did not install it"},
	},
}

// checkReason re-verifies the fact a table entry relies on.
func checkReason(t *testing.T, r *report.Report, inv *inventory.Result, db *vulndb.DB, e extraReason) {
	t.Helper()
	name, version, _ := strings.Cut(e.pkg, "@")
	var pkg *inventory.Package
	for i := range r.Packages {
		p := &r.Packages[i]
		if strings.ToLower(p.Name) == name && p.Version == version {
			pkg = p
		}
	}
	switch e.kind {
	case "bundled":
		if pkg == nil || !pkg.Bundled {
			t.Errorf("%s %s: explained as bundled, but the package is not a bundled one", e.pkg, e.id)
		}
	case "not-shipped":
		if pkg != nil {
			t.Errorf("%s %s: explained as not shipped, but the inventory has it at %v", e.pkg, e.id, pkg.Paths)
		}
		if !slices.ContainsFunc(inv.Dropped, func(d inventory.Dropped) bool {
			return strings.ToLower(d.Name) == name && d.Version == version
		}) {
			t.Errorf("%s %s: explained as not shipped, but the inventory did not drop it", e.pkg, e.id)
		}
	case "withdrawn":
		advs, _ := db.Lookup("npm", name)
		for _, a := range advs {
			if a.ID == e.id {
				t.Errorf("%s: explained as withdrawn, but the index holds it", e.id)
			}
		}
	default:
		t.Errorf("unknown reason kind %q", e.kind)
	}
}

type peerFile struct {
	Package  string `json:"package"`
	Findings []struct {
		Ecosystem string   `json:"ecosystem"`
		Name      string   `json:"name"`
		Version   string   `json:"version"`
		ID        string   `json:"id"`
		Aliases   []string `json:"aliases"`
	} `json:"findings"`
}

// sharedDir finds ../shared beside the checkout (or $LAMBDASCAN_SHARED).
func sharedDir(t testing.TB) string {
	if d := os.Getenv("LAMBDASCAN_SHARED"); d != "" {
		return d
	}
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

func TestAccuracyAgainstPeer(t *testing.T) {
	shared := sharedDir(t)
	corpus := filepath.Join(shared, "corpus")
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("accuracy check skipped: %s not present (it runs whenever ../shared is beside the checkout)", corpus)
	}
	dbPath := filepath.Join(t.TempDir(), "osv.lsdb")
	// The NVD and KEV feeds of ../shared/feeds complete the ratings the OSV
	// records lack (all Go ones); without the folder the figure says so.
	sources := []string{filepath.Join(shared, "osv")}
	if _, err := os.Stat(filepath.Join(shared, "feeds")); err == nil {
		sources = append(sources, filepath.Join(shared, "feeds"))
	}
	fset := feeds.NewSet() // what the feeds know, to tell a data gap from a miss of ours
	if len(sources) > 1 {
		if _, err := fset.LoadDir(sources[1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := vulndb.BuildFile(context.Background(), vulndb.BuildOptions{Sources: sources}, dbPath); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	expected, _ := filepath.Glob(filepath.Join(corpus, "*.expected.json"))
	if len(expected) == 0 {
		t.Fatal("no expected files in corpus")
	}
	type tally struct{ peer, found int }
	cls := &classes{dropped: map[string]int{}}
	recall := map[string]*tally{}
	// rated: findings per ecosystem, and how many have a known severity
	// (and from which source).
	type ratedTally struct {
		all, known int
		bySource   map[string]int
		noMetric   int // a CVE alias, but no feed record with a CVSS metric
		noCVE      int // no CVE alias at all
	}
	rated := map[string]*ratedTally{}
	var extraLines, missLines []string
	for _, ef := range expected {
		name := strings.TrimSuffix(filepath.Base(ef), ".expected.json")
		t.Run(name, func(t *testing.T) {
			var peer peerFile
			raw, err := os.ReadFile(ef)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &peer); err != nil {
				t.Fatal(err)
			}
			src := []inventory.Source{{Path: filepath.Join(corpus, name+".zip")}}
			r := scan.Run(context.Background(), db, report.Target{Kind: "zip", Path: name}, src, scan.Options{})
			if r.Status == report.StatusFailed {
				t.Fatalf("scan failed: %+v", r.Error)
			}
			// The inventory again, for what it left out and why.
			inv, err := inventory.Scan(context.Background(), src, inventory.Options{})
			if err != nil {
				t.Fatal(err)
			}
			cls.add(name, r, inv, peer.Findings)
			// ours: "name@version" -> ids and aliases
			ours := map[string]map[string]bool{}
			for _, f := range r.Findings {
				rt := rated[f.Package.Ecosystem]
				if rt == nil {
					rt = &ratedTally{bySource: map[string]int{}}
					rated[f.Package.Ecosystem] = rt
				}
				rt.all++
				src := f.Severity.Source
				if strings.HasPrefix(src, match.SourceNVD) {
					src = "nvd"
				}
				if f.Severity.Level != match.LevelUnknown {
					rt.known++
					rt.bySource[src]++
				} else {
					cves, rateable := 0, false
					for _, a := range append([]string{f.ID}, f.Aliases...) {
						if strings.HasPrefix(a, "CVE-") {
							cves++
							c, _ := fset.Lookup(a)
							rateable = rateable || c.NVD != nil
						}
					}
					switch {
					case rateable:
						t.Errorf("%s %s@%s: unknown severity though NVD data rates one of its CVEs", f.ID, f.Package.Name, f.Package.Version)
					case cves == 0:
						rt.noCVE++
					default:
						rt.noMetric++
					}
				}
				k := strings.ToLower(f.Package.Name) + "@" + f.Package.Version
				if ours[k] == nil {
					ours[k] = map[string]bool{}
				}
				ours[k][f.ID] = true
				for _, a := range f.Aliases {
					ours[k][a] = true
				}
			}
			missOK := map[string]string{}
			for _, m := range deliberateMisses[name] {
				missOK[m.pkg+" "+m.id] = m.why
				checkReason(t, r, inv, db, m)
			}
			peerIDs := map[string]bool{}
			for _, pf := range peer.Findings {
				eco := pf.Ecosystem
				tl := recall[eco]
				if tl == nil {
					tl = &tally{}
					recall[eco] = tl
				}
				k := strings.ToLower(pf.Name) + "@" + pf.Version
				peerIDs[k+" "+pf.ID] = true
				for _, a := range pf.Aliases {
					peerIDs[k+" "+a] = true
				}
				hit := ours[k][pf.ID]
				for _, a := range pf.Aliases {
					hit = hit || ours[k][a]
				}
				if hit {
					tl.found++
					tl.peer++
					continue
				}
				if why, ok := missOK[k+" "+pf.ID]; ok {
					missLines = append(missLines, fmt.Sprintf("%-28s %-45s %-20s %s", name, k, pf.ID, why))
					continue
				}
				tl.peer++
				t.Errorf("missed peer finding %s %s %s", pf.Ecosystem, k, pf.ID)
			}
			explained := map[string]string{}
			for _, e := range extras[name] {
				explained[e.pkg+" "+e.id] = e.why
				checkReason(t, r, inv, db, e)
			}
			for _, f := range r.Findings {
				k := strings.ToLower(f.Package.Name) + "@" + f.Package.Version
				if peerIDs[k+" "+f.ID] {
					continue
				}
				why, ok := explained[k+" "+f.ID]
				if !ok {
					t.Errorf("unexplained extra finding %s %s %s", f.Package.Ecosystem, k, f.ID)
					continue
				}
				extraLines = append(extraLines, fmt.Sprintf("%-28s %-45s %-20s %s", name, k, f.ID, why))
			}
		})
	}
	var ecos []string
	for e := range recall {
		ecos = append(ecos, e)
	}
	sort.Strings(ecos)
	fmt.Println("accuracy: recall of the peer's findings per ecosystem")
	for _, e := range ecos {
		tl := recall[e]
		fmt.Printf("  %-10s %4d / %4d  (%.1f%%)\n", e, tl.found, tl.peer, 100*float64(tl.found)/float64(max(tl.peer, 1)))
	}
	fmt.Printf("accuracy: findings with a known severity per ecosystem (feeds: %s)\n", strings.Join(sources[1:], ", "))
	for _, e := range slices.Sorted(maps.Keys(rated)) {
		rt := rated[e]
		var srcs []string
		for _, s := range slices.Sorted(maps.Keys(rt.bySource)) {
			srcs = append(srcs, fmt.Sprintf("%s %d", s, rt.bySource[s]))
		}
		fmt.Printf("  %-10s %4d / %4d  (%.1f%%)  from %s; unknown: %d whose CVE has no CVSS metric in the feeds, %d without a CVE id\n",
			e, rt.known, rt.all, 100*float64(rt.known)/float64(max(rt.all, 1)), strings.Join(srcs, ", "), rt.noMetric, rt.noCVE)
	}
	if rt := rated["Go"]; rt != nil && len(sources) > 1 {
		goal := "met"
		if float64(rt.known) < 0.9*float64(rt.all) {
			goal = "NOT met: every finding the data can rate is rated; the rest have no CVSS anywhere in it"
		}
		fmt.Printf("accuracy: goal >= 90%% of Go findings with a known severity: %s\n", goal)
	}
	fmt.Printf("accuracy: %d extra findings of ours, each explained:\n", len(extraLines))
	for _, l := range extraLines {
		fmt.Println("  " + l)
	}
	fmt.Printf("accuracy: %d peer findings deliberately not reported:\n", len(missLines))
	for _, l := range missLines {
		fmt.Println("  " + l)
	}
	cls.print()
	if cls.oursNotShipped != 0 {
		t.Errorf("%d findings of ours on packages not shipped", cls.oursNotShipped)
	}
}

// classes tallies what the inventory says about each package (only what
// ships, and everything that ships) over the corpus.
type classes struct {
	packages, declared, bundled, manifestJars, unversioned int
	declaredFindings                                       int
	bundleFiles, unidentifiedJars                          []string
	dropped                                                map[string]int // by reason
	droppedLines                                           []string
	peerNotShipped, oursNotShipped                         int
}

func (c *classes) add(name string, r *report.Report, inv *inventory.Result, peer []struct {
	Ecosystem string   `json:"ecosystem"`
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	ID        string   `json:"id"`
	Aliases   []string `json:"aliases"`
}) {
	key := func(eco, n, v string) string { return eco + " " + strings.ToLower(n) + "@" + v }
	shipped := map[string]bool{}
	for _, p := range inv.Packages {
		c.packages++
		shipped[key(p.Ecosystem, p.Name, p.Version)] = true
		switch {
		case p.Declared:
			c.declared++
		case p.Bundled:
			c.bundled++
			if p.Version == "" {
				c.unversioned++
			}
		}
		for _, e := range p.Evidence {
			if strings.HasPrefix(e, "jar-manifest") {
				c.manifestJars++
			}
		}
	}
	notShipped := map[string]bool{}
	for _, d := range inv.Dropped {
		c.dropped[d.Reason]++
		k := key(d.Ecosystem, d.Name, d.Version)
		if !shipped[k] {
			notShipped[k] = true
		}
		c.droppedLines = append(c.droppedLines, fmt.Sprintf("%-28s %-45s %-20s %s", name, d.Name+"@"+d.Version, d.Reason, d.Path))
	}
	for _, p := range inv.Problems {
		switch p.Code {
		case inventory.CodeBundled:
			c.bundleFiles = append(c.bundleFiles, name+": "+p.Path)
		case inventory.CodeUnidentifiedJar:
			c.unidentifiedJars = append(c.unidentifiedJars, name+": "+p.Path)
		}
	}
	for _, f := range peer {
		if notShipped[key(f.Ecosystem, f.Name, f.Version)] {
			c.peerNotShipped++
		}
	}
	declared := map[string]bool{}
	for _, p := range inv.Packages {
		if p.Declared {
			declared[key(p.Ecosystem, p.Name, p.Version)] = true
		}
	}
	for _, f := range r.Findings {
		k := key(f.Package.Ecosystem, f.Package.Name, f.Package.Version)
		if notShipped[k] {
			c.oursNotShipped++
		}
		if declared[k] {
			c.declaredFindings++
		}
	}
}

func (c *classes) print() {
	fmt.Printf("accuracy: only what ships: %d packages: %d declared (no installed tree; %d findings on them), %d bundled (%d without a version), %d jars identified by manifest\n",
		c.packages, c.declared, c.declaredFindings, c.bundled, c.unversioned, c.manifestJars)
	fmt.Printf("accuracy: bundles (partial, reason bundled): %s\n", strings.Join(c.bundleFiles, "; "))
	fmt.Printf("accuracy: unidentified jars (partial): %s\n", strings.Join(c.unidentifiedJars, "; "))
	var reasons []string
	for r, n := range c.dropped {
		reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
	}
	sort.Strings(reasons)
	fmt.Printf("accuracy: %d packages dropped: not shipped, not a package, or guessed (%s):\n", len(c.droppedLines), strings.Join(reasons, ", "))
	for _, l := range c.droppedLines {
		fmt.Println("  " + l)
	}
	fmt.Printf("accuracy: findings on packages not shipped: ours %d, peer %d\n", c.oursNotShipped, c.peerNotShipped)
}
