package imagerun_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/image/imagetest"
	"github.com/lambdascan/lambdascan/shared/imagerun"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// An image function's Go binary gets its reachability like a zip's: the
// scan reads the table from the image's temp files before they go.
func TestRunImageGoReachability(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/bootstrap\n\ngo 1.22\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { println(1) }\n"), 0o644))
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", "bootstrap", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	bin, err := os.ReadFile(filepath.Join(dir, "bootstrap"))
	require.NoError(t, err)

	osv := filepath.Join(dir, "osv", "Go")
	require.NoError(t, os.MkdirAll(osv, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(osv, "GO-TEST-0001.json"), []byte(`{"id":"GO-TEST-0001","affected":[{"package":{"ecosystem":"Go","name":"stdlib"},`+
		`"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}],"ecosystem_specific":{"imports":[{"path":"runtime","symbols":["main"]}]}}]}`), 0o644))
	var buf bytes.Buffer
	_, err = vulndb.Build(context.Background(), vulndb.BuildOptions{Sources: []string{filepath.Join(dir, "osv")}}, &buf)
	require.NoError(t, err)
	db, err := vulndb.OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)

	img, err := imagetest.Image("linux/arm64", imagetest.Step{CreatedBy: "COPY bootstrap /var/task/", Files: []imagetest.File{{Name: "var/task/bootstrap", Body: bin, Mode: 0o755}}})
	require.NoError(t, err)
	r := imagerun.Run(context.Background(), db, report.Target{Kind: "image"}, img, imagerun.Options{})
	require.Nil(t, r.Error)
	require.Len(t, r.Findings, 1)
	require.NotNil(t, r.Findings[0].Reachability)
	assert.Equal(t, match.ReachSymbol, r.Findings[0].Reachability.Level)
	assert.Equal(t, []string{"runtime.main"}, r.Findings[0].Reachability.Symbols)
}
