// Package reachcheck checks our Go reachability on stripped binaries against
// govulncheck v1.1.4 on the unstripped twins, over ../shared/corpus: the
// levels must agree on at least 95% of the findings both report, and ours
// must never be lower. `make accuracy` installs govulncheck and runs it.
package reachcheck

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lambdascan/lambdascan/integration/govulndb"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// twins rebuilds corpus binaries that ship stripped, without -s -w, as
// ../shared/corpus/MANIFEST.md builds them otherwise; the test checks the
// twin's modules equal the shipped binary's.
var twins = map[string]struct {
	env  []string
	args []string
}{
	"go-al2023-arm64-gin": {
		env:  []string{"GOTOOLCHAIN=go1.20.14", "GOFLAGS=-mod=readonly", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"},
		args: []string{"-tags", "lambda.norpc", "-trimpath"},
	},
}

var rank = map[string]int{match.ReachModule: 1, match.ReachPackage: 2, match.ReachSymbol: 3}

func TestReachabilityAgainstGovulncheck(t *testing.T) {
	shared := sharedDir(t)
	corpus := filepath.Join(shared, "corpus")
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("reachability check skipped: %s not present", corpus)
	}
	gv := os.Getenv("LAMBDASCAN_GOVULNCHECK")
	if gv == "" {
		gv, _ = exec.LookPath("govulncheck")
	}
	if gv == "" {
		t.Skip("reachability check skipped: no govulncheck (make accuracy installs golang.org/x/vuln/cmd/govulncheck@v1.1.4; or set LAMBDASCAN_GOVULNCHECK)")
	}
	tmp := t.TempDir()
	gvdb := filepath.Join(tmp, "govulndb")
	if _, err := govulndb.Write(filepath.Join(shared, "osv", "Go", "all.zip"), gvdb); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(tmp, "osv.lsdb")
	if _, err := vulndb.BuildFile(context.Background(), vulndb.BuildOptions{Sources: []string{filepath.Join(shared, "osv")}, Ecosystems: []string{"Go"}}, dbPath); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	zips, _ := filepath.Glob(filepath.Join(corpus, "*.zip"))
	total := tally{levels: map[string]int{}}
	binaries := 0
	for _, zp := range zips {
		name := strings.TrimSuffix(filepath.Base(zp), ".zip")
		bins := goBinaries(t, zp, filepath.Join(tmp, name, "orig"))
		for _, rel := range bins {
			binaries++
			t.Run(name+"/"+rel, func(t *testing.T) {
				orig := filepath.Join(tmp, name, "orig", rel)
				twin, how := orig, "shipped unstripped"
				if !hasSymtab(t, orig) {
					r, ok := twins[name]
					if !ok {
						t.Skipf("%s ships stripped and has no twin recipe: not compared", rel)
					}
					twin = filepath.Join(tmp, name, "twin", path.Base(rel))
					build(t, filepath.Join(corpus, "src", name), twin, r.env, r.args)
					sameModules(t, orig, twin)
					how = "rebuilt unstripped (" + strings.Join(r.env[:1], " ") + ")"
				}
				stripped := filepath.Join(tmp, name, "stripped")
				copyFile(t, twin, filepath.Join(stripped, rel))
				stripper := stripTool(t, twin)
				if out, err := exec.Command(stripper, filepath.Join(stripped, rel)).CombinedOutput(); err != nil {
					t.Fatalf("%s: %v: %s", stripper, err, out)
				}
				if hasSymtab(t, filepath.Join(stripped, rel)) {
					t.Fatalf("%s left a symbol table", stripper)
				}
				theirs := govulncheck(t, gv, gvdb, twin)
				ours := reachability(t, db, stripped, rel)
				if twin != orig {
					// The shipped stripped binary must read as the stripped twin does.
					if shipped := reachability(t, db, filepath.Join(tmp, name, "orig"), rel); !equalLevels(shipped, ours) {
						t.Errorf("levels on the shipped binary differ from those on the stripped twin")
					}
				}
				c := compare(t, theirs, ours)
				t.Logf("%s: govulncheck on the %s binary, ours on a %s copy: %s", rel, how, filepath.Base(stripper), c)
				total.add(c)
			})
		}
	}
	if binaries == 0 {
		t.Fatal("no Go binaries in the corpus")
	}
	t.Logf("Go reachability agreement with govulncheck v1.1.4 over %d binaries: %s", binaries, total)
	if total.compared == 0 {
		t.Fatal("no finding compared")
	}
	if pct := total.pct(); pct < 95 {
		t.Errorf("agreement %.1f%% is below 95%%", pct)
	}
	if total.lower > 0 {
		t.Errorf("%d findings below govulncheck's level", total.lower)
	}
}

type key struct{ id, module string }

type tally struct {
	compared, agree, lower, higher, unknown, onlyOurs, onlyTheirs int
	levels                                                        map[string]int // govulncheck's, over compared findings
}

func (c *tally) add(o tally) {
	for l, n := range o.levels {
		c.levels[l] += n
	}
	c.compared += o.compared
	c.agree += o.agree
	c.lower += o.lower
	c.higher += o.higher
	c.unknown += o.unknown
	c.onlyOurs += o.onlyOurs
	c.onlyTheirs += o.onlyTheirs
}

func (c tally) pct() float64 { return 100 * float64(c.agree) / float64(max(c.compared, 1)) }

func (c tally) String() string {
	return fmt.Sprintf("%d/%d findings agree (%.1f%%; govulncheck: %d symbol, %d package, %d module), %d lower, %d higher, %d unknown; %d only ours, %d only govulncheck's",
		c.agree, c.compared, c.pct(), c.levels[match.ReachSymbol], c.levels[match.ReachPackage], c.levels[match.ReachModule],
		c.lower, c.higher, c.unknown, c.onlyOurs, c.onlyTheirs)
}

func compare(t *testing.T, theirs map[key]string, ours map[key]string) tally {
	c := tally{levels: map[string]int{}}
	for _, k := range sortedKeys(ours) {
		want, ok := theirs[k]
		if !ok {
			c.onlyOurs++
			t.Logf("%s %s: ours only (%s)", k.id, k.module, ours[k])
			continue
		}
		c.levels[want]++
		got := ours[k]
		c.compared++
		switch {
		case got == want:
			c.agree++
		case got == match.ReachUnknown:
			c.unknown++
			t.Logf("%s %s: ours unknown, govulncheck %s", k.id, k.module, want)
		case rank[got] < rank[want]:
			c.lower++
			t.Errorf("%s %s: ours %s, below govulncheck's %s", k.id, k.module, got, want)
		default:
			c.higher++
			t.Logf("%s %s: ours %s, govulncheck %s", k.id, k.module, got, want)
		}
	}
	for _, k := range sortedKeys(theirs) {
		if _, ok := ours[k]; !ok {
			c.onlyTheirs++
			t.Logf("%s %s: govulncheck only (%s)", k.id, k.module, theirs[k])
		}
	}
	return c
}

// reachability scans dir (a function's /var/task) and returns the level of
// each Go finding of the binary at rel.
func reachability(t *testing.T, db *vulndb.DB, dir, rel string) map[key]string {
	r := scan.Run(context.Background(), db, report.Target{Kind: "directory", Path: dir},
		[]inventory.Source{{Path: dir, Origin: inventory.Origin{Kind: inventory.OriginFunction}}}, scan.Options{})
	if r.Status == report.StatusFailed {
		t.Fatalf("scan failed: %+v", r.Error)
	}
	out := map[key]string{}
	for _, f := range r.Findings {
		if f.Package.Ecosystem != "Go" {
			continue
		}
		if f.Reachability == nil {
			t.Fatalf("%s %s: Go finding without reachability", f.ID, f.Package.Name)
		}
		out[key{f.ID, f.Package.Name}] = f.Reachability.Level
	}
	return out
}

func equalLevels(a, b map[key]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// govulncheck runs binary mode and returns the highest level per finding
// (it reports module, then package, then symbol findings for one advisory).
func govulncheck(t *testing.T, gv, db, bin string) map[key]string {
	cmd := exec.Command(gv, "-mode", "binary", "-db", "file://"+db, "-format", "json", bin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("govulncheck: %v: %s", err, stderr.String())
	}
	levels := map[key]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var msg struct {
			Finding *struct {
				OSV   string `json:"osv"`
				Trace []struct {
					Module   string `json:"module"`
					Package  string `json:"package"`
					Function string `json:"function"`
				} `json:"trace"`
			} `json:"finding"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("govulncheck output: %v", err)
		}
		if msg.Finding == nil || len(msg.Finding.Trace) == 0 {
			continue
		}
		fr := msg.Finding.Trace[0]
		level := match.ReachModule
		switch {
		case fr.Function != "":
			level = match.ReachSymbol
		case fr.Package != "":
			level = match.ReachPackage
		}
		k := key{msg.Finding.OSV, fr.Module}
		if rank[level] > rank[levels[k]] {
			levels[k] = level
		}
	}
	return levels
}

// goBinaries extracts the zip's Go binaries under dir and returns their
// paths in the zip.
func goBinaries(t *testing.T, zp, dir string) []string {
	zr, err := zip.OpenReader(zp)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out []string
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || f.UncompressedSize64 < 1<<20 {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := buildinfo.Read(bytes.NewReader(data)); err != nil {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
		out = append(out, f.Name)
	}
	return out
}

// stripTool picks binutils' strip for the binary's architecture. llvm-strip
// is the last resort: LLVM 14's rewrites a Go binary's section names into
// garbage that debug/elf rejects (hasSymtab then fails the test loudly).
func stripTool(t *testing.T, bin string) string {
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	defer f.Close()
	var cands []string
	switch f.Machine {
	case elf.EM_AARCH64:
		cands = []string{"aarch64-linux-gnu-strip"}
	case elf.EM_X86_64:
		cands = []string{"x86_64-linux-gnu-strip", "strip"}
	}
	for _, c := range append(cands, "llvm-strip") {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	t.Skipf("no strip for %v installed (apt-get install binutils-aarch64-linux-gnu for arm64)", f.Machine)
	return ""
}

func hasSymtab(t *testing.T, p string) bool {
	f, err := elf.Open(p)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	defer f.Close()
	return f.Section(".symtab") != nil
}

func build(t *testing.T, src, out string, env, args []string) {
	cmd := exec.Command("go", append(append([]string{"build"}, args...), "-o", out, ".")...)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("building the unstripped twin failed (needs the Go module proxy): %v: %s", err, b)
	}
}

func sameModules(t *testing.T, a, b string) {
	ia, err1 := buildinfo.ReadFile(a)
	ib, err2 := buildinfo.ReadFile(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("build info: %v %v", err1, err2)
	}
	mods := func(bi *buildinfo.BuildInfo) string {
		s := []string{bi.GoVersion}
		for _, d := range bi.Deps {
			s = append(s, d.Path+"@"+d.Version)
		}
		return strings.Join(s, " ")
	}
	if mods(ia) != mods(ib) {
		t.Fatalf("twin differs from the shipped binary:\n%s\n%s", mods(ia), mods(ib))
	}
}

func copyFile(t *testing.T, from, to string) {
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}

func sortedKeys(m map[key]string) []key {
	out := make([]key, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].module != out[j].module {
			return out[i].module < out[j].module
		}
		return out[i].id < out[j].id
	})
	return out
}

// sharedDir finds ../shared beside the checkout (or $LAMBDASCAN_SHARED).
func sharedDir(t *testing.T) string {
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
