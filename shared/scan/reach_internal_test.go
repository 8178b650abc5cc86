package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
)

// sourceOpener is the fallback when the inventory no longer holds a binary.
func TestSourceOpener(t *testing.T) {
	body := []byte("\x7fELF not really")
	zp := filepath.Join(t.TempDir(), "layer.zip")
	if err := os.WriteFile(zp, archivetest.Zip(archivetest.Entry{Name: "bin/tool", Body: body, Mode: 0o755}), 0o644); err != nil {
		t.Fatal(err)
	}
	layer := inventory.Origin{Kind: inventory.OriginLayer, Layer: "l.zip"}
	open := sourceOpener([]inventory.Source{
		{Path: t.TempDir(), Origin: inventory.Origin{Kind: inventory.OriginFunction}},
		{Path: zp, Origin: layer},
	}, archive.DefaultLimits())
	r, done, err := open(context.Background(), layer, "/opt/bin/tool")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(body))
	if _, err := r.ReadAt(got, 0); err != nil || string(got) != string(body) {
		t.Errorf("ReadAt = %q, %v", got, err)
	}
	done()
	for _, tc := range []struct {
		o inventory.Origin
		p string
	}{
		{layer, "/opt/bin/missing"},
		{layer, "/var/task/bin/tool"}, // not under the origin's root
		{inventory.Origin{Kind: inventory.OriginFunction}, "/var/task/bin/tool"}, // other source
		{layer, "/opt/../etc/passwd"},
	} {
		if _, _, err := open(context.Background(), tc.o, tc.p); !errors.Is(err, errNotInSources) {
			t.Errorf("%v %s: err = %v, want errNotInSources", tc.o, tc.p, err)
		}
	}
}

func TestHigher(t *testing.T) {
	r := func(l string, s ...string) *match.Reachability { return &match.Reachability{Level: l, Symbols: s} }
	tests := []struct {
		a, b *match.Reachability
		want string
	}{
		{r(match.ReachModule), r(match.ReachPackage), match.ReachPackage},
		{r(match.ReachPackage), r(match.ReachUnknown), match.ReachUnknown}, // unknown may hide symbol
		{r(match.ReachUnknown), r(match.ReachSymbol), match.ReachSymbol},
		{r(match.ReachSymbol, "p.F"), r(match.ReachModule), match.ReachSymbol},
	}
	for _, tt := range tests {
		if got := higher(tt.a, tt.b); got.Level != tt.want {
			t.Errorf("higher(%s, %s) = %s, want %s", tt.a.Level, tt.b.Level, got.Level, tt.want)
		}
	}
	if got := higher(r(match.ReachSymbol, "p.F"), r(match.ReachSymbol, "p.G", "p.F")); len(got.Symbols) != 2 {
		t.Errorf("symbols of two binaries: %v", got.Symbols)
	}
}
