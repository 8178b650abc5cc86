package scan_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// goRecords are stdlib records affecting every version (facts only).
var goRecords = map[string]string{
	// runtime.main is in every Go binary.
	"GO-TEST-0001": `"ecosystem_specific":{"imports":[{"path":"runtime","symbols":["main"]}]}`,
	// net/http is not linked by the demo.
	"GO-TEST-0002": `"ecosystem_specific":{"imports":[{"path":"net/http","symbols":["Get"]}]}`,
	// os is linked, this function is not.
	"GO-TEST-0003": `"ecosystem_specific":{"imports":[{"path":"os","symbols":["NoSuchFunc"]}]}`,
	// No package named: the whole module.
	"GO-TEST-0004": ``,
}

func goDB(t *testing.T) *vulndb.DB {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "osv")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "Go"), 0o755))
	for id, es := range goRecords {
		if es != "" {
			es = "," + es
		}
		rec := `{"id":"` + id + `","affected":[{"package":{"ecosystem":"Go","name":"stdlib"},` +
			`"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]` + es + `}]}`
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Go", id+".json"), []byte(rec), 0o644))
	}
	var buf bytes.Buffer
	_, err := vulndb.Build(context.Background(), vulndb.BuildOptions{Sources: []string{dir}}, &buf)
	require.NoError(t, err)
	db, err := vulndb.OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	return db
}

// demoBinary builds a small program stripped with -s -w, as Lambda
// bootstraps usually are.
func demoBinary(t *testing.T) []byte {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/bootstrap\n\ngo 1.22\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"os\"\n\nfunc main() { println(len(os.Args)) }\n"), 0o644))
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=mod")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	return data
}

func levels(r *report.Report) map[string]string {
	out := map[string]string{}
	for _, f := range r.Findings {
		if f.Package.Ecosystem == "Go" && f.Reachability != nil {
			out[f.ID] = f.Reachability.Level
		}
	}
	return out
}

func TestGoReachabilityOnStrippedBinary(t *testing.T) {
	db := goDB(t)
	bin := demoBinary(t)
	noTable := bytes.ReplaceAll(bin, []byte(".gopclntab\x00"), []byte(".xopclntab\x00"))
	require.NotEqual(t, bin, noTable)

	tests := []struct {
		name string
		bin  []byte
		want map[string]string
		note bool
	}{
		{"stripped", bin, map[string]string{
			"GO-TEST-0001": match.ReachSymbol, "GO-TEST-0002": match.ReachModule,
			"GO-TEST-0003": match.ReachPackage, "GO-TEST-0004": match.ReachSymbol,
		}, false},
		{"no function table", noTable, map[string]string{
			"GO-TEST-0001": match.ReachUnknown, "GO-TEST-0002": match.ReachUnknown,
			"GO-TEST-0003": match.ReachUnknown, "GO-TEST-0004": match.ReachUnknown,
		}, true},
	}
	// The scan reads the table from the binary the inventory holds: an
	// opener that fails shows the entry is not inflated again.
	noReopen := func(context.Context, inventory.Origin, string) (io.ReaderAt, func(), error) {
		return nil, nil, errors.New("opened again")
	}
	for _, tc := range tests {
		for _, kind := range []report.Kind{report.KindZip, report.KindDirectory} {
			t.Run(tc.name+"/"+string(kind), func(t *testing.T) {
				src := file(t, archivetest.Zip(archivetest.Entry{Name: "bootstrap", Body: tc.bin, Mode: 0o755}))
				if kind == report.KindDirectory {
					src = t.TempDir()
					require.NoError(t, os.WriteFile(filepath.Join(src, "bootstrap"), tc.bin, 0o755))
				}
				r := scan.Run(context.Background(), db, report.Target{Kind: kind}, []inventory.Source{{Path: src}}, scan.Options{OpenBinary: noReopen})
				require.Nil(t, r.Error)
				assert.Equal(t, tc.want, levels(r))
				for _, f := range r.Findings {
					if f.ID == "GO-TEST-0001" && tc.want[f.ID] == match.ReachSymbol {
						assert.Equal(t, []string{"runtime.main"}, f.Reachability.Symbols)
					}
				}
				noted := false
				for _, n := range r.Notes {
					noted = noted || strings.Contains(n, "/var/task/bootstrap")
				}
				assert.Equal(t, tc.note, noted, "notes: %v", r.Notes)
			})
		}
	}
}

// A Go package from an inventory taken earlier (a cached layer) is not in
// the sources: its findings are unknown, never guessed.
func TestGoReachabilityWithoutTheBinary(t *testing.T) {
	db := goDB(t)
	known := &inventory.Result{Packages: []inventory.Package{{
		Ecosystem: "Go", Name: "stdlib", Version: "1.20.1", Paths: []string{"/opt/bin/tool"},
		Origin: inventory.Origin{Kind: inventory.OriginLayer, Layer: "arn:aws:lambda:us-east-1:123456789012:layer:x:1"},
	}}}
	empty := file(t, archivetest.Zip(archivetest.Entry{Name: "index.py", Body: []byte("x = 1\n")}))
	r := scan.Run(context.Background(), db, report.Target{Kind: "zip"}, []inventory.Source{{Path: empty}}, scan.Options{Known: []*inventory.Result{known}})
	require.Len(t, r.Findings, len(goRecords))
	for id, l := range levels(r) {
		assert.Equal(t, match.ReachUnknown, l, id)
	}
}

// The scan step inventories each layer on its own and passes it as Known:
// the binaries that inventory holds are adopted and read, then released.
func TestGoReachabilityFromAFreshLayerInventory(t *testing.T) {
	db := goDB(t)
	layer := inventory.Source{Path: file(t, archivetest.Zip(archivetest.Entry{Name: "bin/tool", Body: demoBinary(t), Mode: 0o755})),
		Origin: inventory.Origin{Kind: inventory.OriginLayer, Layer: "arn:aws:lambda:us-east-1:123456789012:layer:tools:3"}}
	known, err := inventory.Scan(context.Background(), []inventory.Source{layer}, inventory.Options{KeepGoBinaries: true})
	require.NoError(t, err)
	_, held := known.GoBinary(layer.Origin, "/opt/bin/tool")
	require.True(t, held)
	fn := file(t, archivetest.Zip(archivetest.Entry{Name: "index.py", Body: []byte("x = 1\n")}))
	r := scan.Run(context.Background(), db, report.Target{Kind: "function"}, []inventory.Source{{Path: fn}}, scan.Options{Known: []*inventory.Result{known}})
	assert.Equal(t, match.ReachSymbol, levels(r)["GO-TEST-0001"])
	_, held = known.GoBinary(layer.Origin, "/opt/bin/tool")
	assert.False(t, held, "adopted by the scan")
}

// A record can name other packages for another release branch: only the
// entries whose ranges hold the version decide the level.
func TestGoReachabilityUsesTheMatchingEntry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "osv")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "Go"), 0o755))
	rec := `{"id":"GO-TEST-0005","affected":[
		{"package":{"ecosystem":"Go","name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.1.0"}]}],
		 "ecosystem_specific":{"imports":[{"path":"runtime","symbols":["main"]}]}},
		{"package":{"ecosystem":"Go","name":"stdlib"},"ranges":[{"type":"SEMVER","events":[{"introduced":"1.1.0"}]}],
		 "ecosystem_specific":{"imports":[{"path":"net/http","symbols":["Get"]}]}}]}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Go", "GO-TEST-0005.json"), []byte(rec), 0o644))
	var buf bytes.Buffer
	_, err := vulndb.Build(context.Background(), vulndb.BuildOptions{Sources: []string{dir}}, &buf)
	require.NoError(t, err)
	db, err := vulndb.OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	zip := file(t, archivetest.Zip(archivetest.Entry{Name: "bootstrap", Body: demoBinary(t), Mode: 0o755}))
	r := scan.Run(context.Background(), db, report.Target{Kind: "zip"}, []inventory.Source{{Path: zip}}, scan.Options{})
	// The demo's toolchain is past 1.1.0: runtime.main does not count.
	assert.Equal(t, map[string]string{"GO-TEST-0005": match.ReachModule}, levels(r))
}
