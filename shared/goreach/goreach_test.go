package goreach

import (
	"bytes"
	"debug/gosym"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

const lib = "example.com/demo/lib"

// buildDemo builds testdata/demo for goos/goarch, stripped with -s -w or not.
func buildDemo(t *testing.T, goos, goarch string, strip bool) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain")
	}
	out, err := buildDemoFor(goos, goarch, strip, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func buildDemoFor(goos, goarch string, strip bool, dir string) (string, error) {
	out := filepath.Join(dir, "demo")
	args := []string{"build", "-trimpath", "-o", out}
	if strip {
		args = append(args, "-ldflags=-s -w")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Dir = filepath.Join("testdata", "demo")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, b)
	}
	return out, nil
}

func readFile(t *testing.T, p string) *Table {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestReadStrippedAndUnstripped(t *testing.T) {
	targets := []struct{ goos, goarch string }{{runtime.GOOS, runtime.GOARCH}}
	if !testing.Short() {
		// Mach-O and PE (each compiles the runtime once; arm64 ELF is
		// covered by the corpus check in integration/reachcheck).
		targets = append(targets, struct{ goos, goarch string }{"darwin", "arm64"},
			struct{ goos, goarch string }{"windows", "amd64"})
	}
	for _, tg := range targets {
		for _, strip := range []bool{false, true} {
			name := tg.goos + "/" + tg.goarch
			if strip {
				name += "/stripped"
			}
			t.Run(name, func(t *testing.T) {
				bin := buildDemo(t, tg.goos, tg.goarch, strip)
				tab := readFile(t, bin)
				if !tab.Inlined {
					t.Error("inline trees not read")
				}
				if tab.GOOS != tg.goos || tab.GOARCH != tg.goarch {
					t.Errorf("platform %s/%s", tab.GOOS, tab.GOARCH)
				}
				for _, sym := range []string{"Server.Serve", "Box.Get", "Map", "Tiny"} {
					if !tab.HasSymbol(lib, sym) {
						t.Errorf("%s.%s not found", lib, sym)
					}
				}
				if tab.HasSymbol(lib, "Unused") {
					t.Error("Unused found: the linker drops unreferenced functions")
				}
				if !tab.HasSymbol("runtime", "main") || !tab.HasPackage("runtime") {
					t.Error("runtime.main not found")
				}
			})
		}
	}
}

// Tiny is only in an inline tree: the function table alone misses it.
func TestInlinedOnlyFromInlineTree(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("host binaries are not ELF")
	}
	bin := buildDemo(t, runtime.GOOS, runtime.GOARCH, true)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	x, err := openELF(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(x.pclntab, x.text))
	if err != nil {
		t.Fatal(err)
	}
	if tab.LookupFunc(lib+".Tiny") != nil {
		t.Fatalf("%s.Tiny has a function of its own: the test needs it inlined", lib)
	}
	names, err := inlinedNames(x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, lib+".Tiny") {
		t.Errorf("inline trees lack %s.Tiny: %v", lib, names)
	}
}

func TestReadNotAGoBinary(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":     {},
		"text":      []byte("#!/bin/sh\necho hi\n"),
		"elf magic": append([]byte("\x7fELF"), make([]byte, 60)...),
		"pe magic":  append([]byte("MZ"), make([]byte, 60)...),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Read(bytes.NewReader(data)); !errors.Is(err, ErrNoTable) {
				t.Errorf("err = %v, want ErrNoTable", err)
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Add([]byte("MZ"))
	if _, err := exec.LookPath("go"); err == nil {
		// A real stripped binary, so mutations reach the table and the
		// inline trees (built here: no binaries in the repository).
		bin, err := buildDemoFor(runtime.GOOS, runtime.GOARCH, true, f.TempDir())
		if err != nil {
			f.Fatal(err)
		}
		data, err := os.ReadFile(bin)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := Read(bytes.NewReader(data))
		// The contract: a table with functions, or ErrNoTable.
		if err != nil && !errors.Is(err, ErrNoTable) {
			t.Fatalf("error %v is not ErrNoTable", err)
		}
		if err == nil && (tab == nil || tab.Funcs == 0) {
			t.Fatal("no error and no functions")
		}
	})
}

func TestSplitName(t *testing.T) {
	tests := []struct{ in, pkg, sym string }{
		{"net/http.(*Server).Serve", "net/http", "Server.Serve"},
		{"net/http.Header.Get", "net/http", "Header.Get"},
		{"net/http.Get", "net/http", "Get"},
		{"example.com/m/p.Map[go.shape.int]", "example.com/m/p", "Map"},
		{"example.com/m/p.(*Box[go.shape.string]).Get", "example.com/m/p", "Box.Get"},
		{"example.com/m/p.Map[go.shape.struct { F []int }]", "example.com/m/p", "Map"},
		{"gopkg.in/yaml%2ev2.Unmarshal", "gopkg.in/yaml.v2", "Unmarshal"},
		{"golang.org/x/crypto/ssh.(*connection).clientHandshake.func1", "golang.org/x/crypto/ssh", "connection).clientHandshake.func1"},
		{"main.main", "main", "main"},
	}
	for _, tt := range tests {
		pkg, sym, ok := SplitName(tt.in)
		if !ok || pkg != tt.pkg || sym != tt.sym {
			t.Errorf("SplitName(%q) = %q, %q, %v; want %q, %q", tt.in, pkg, sym, ok, tt.pkg, tt.sym)
		}
	}
	for _, in := range []string{"go:buildid", "type:.eq.[2]string", "go.buildid", "noPackage"} {
		if _, _, ok := SplitName(in); ok {
			t.Errorf("SplitName(%q) ok, want compiler-generated / no package", in)
		}
	}
}

func table(inlined bool, goos string, names ...string) *Table {
	t := &Table{pkgs: map[string]map[string]bool{}, Inlined: inlined, GOOS: goos, GOARCH: "arm64"}
	for _, n := range names {
		t.add(n)
	}
	return t
}

func TestAssess(t *testing.T) {
	bin := table(true, "linux", "net/http.(*Server).Serve", "net/http.init", "net/url.Parse",
		"golang.org/x/net/html.Parse", "golang.org/x/text/language.Parse")
	imports := func(imps ...vulndb.GoImport) []vulndb.Affected {
		return []vulndb.Affected{{Ecosystem: "Go", Name: "stdlib", Go: &vulndb.GoSpecific{Imports: imps}}}
	}
	tests := []struct {
		name  string
		t     *Table
		mod   string
		aff   []vulndb.Affected
		level string
		syms  []string
	}{
		{"method linked", bin, "stdlib", imports(vulndb.GoImport{Path: "net/http", Symbols: []string{"Server.Serve", "Get"}}), match.ReachSymbol, []string{"net/http.Server.Serve"}},
		{"package linked, symbol not", bin, "stdlib", imports(vulndb.GoImport{Path: "net/http", Symbols: []string{"Get"}}), match.ReachPackage, nil},
		{"package not linked", bin, "stdlib", imports(vulndb.GoImport{Path: "crypto/tls", Symbols: []string{"Dial"}}), match.ReachModule, nil},
		{"every symbol of a linked package", bin, "stdlib", imports(vulndb.GoImport{Path: "net/url"}), match.ReachSymbol, nil},
		{"other platform only", bin, "stdlib", imports(vulndb.GoImport{Path: "net/http", Symbols: []string{"Server.Serve"}, GOOS: []string{"windows"}}), match.ReachModule, nil},
		{"platform listed", bin, "stdlib", imports(vulndb.GoImport{Path: "net/http", Symbols: []string{"Server.Serve"}, GOOS: []string{"linux"}}), match.ReachSymbol, []string{"net/http.Server.Serve"}},
		{"whole module, linked", bin, "golang.org/x/net", []vulndb.Affected{{Name: "golang.org/x/net", Go: &vulndb.GoSpecific{}}}, match.ReachSymbol, nil},
		{"whole module, not linked", bin, "golang.org/x/crypto", []vulndb.Affected{{Name: "golang.org/x/crypto", Go: &vulndb.GoSpecific{}}}, match.ReachModule, nil},
		{"whole stdlib", bin, "stdlib", []vulndb.Affected{{Name: "stdlib", Go: &vulndb.GoSpecific{}}}, match.ReachSymbol, nil},
		{"no symbol data", bin, "stdlib", []vulndb.Affected{{Name: "stdlib"}}, match.ReachUnknown, nil},
		{"no table", nil, "stdlib", imports(vulndb.GoImport{Path: "net/http"}), match.ReachUnknown, nil},
		{"no inline trees: symbol still proven", table(false, "linux", "net/http.(*Server).Serve"), "stdlib", imports(vulndb.GoImport{Path: "net/http", Symbols: []string{"Server.Serve"}}), match.ReachSymbol, []string{"net/http.Server.Serve"}},
		{"no inline trees: absence unproven", table(false, "linux", "net/http.(*Server).Serve"), "stdlib", imports(vulndb.GoImport{Path: "net/http", Symbols: []string{"Get"}}), match.ReachUnknown, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Assess(tt.t, tt.mod, tt.aff)
			if got.Level != tt.level || !slices.Equal(got.Symbols, tt.syms) {
				t.Errorf("Assess = %+v, want %s %v", got, tt.level, tt.syms)
			}
		})
	}
}
