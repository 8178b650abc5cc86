//go:build unix

package inventory_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/inventory"
)

// A directory target names what the walk skips: symlinks (a loop among
// them) and FIFOs, instead of leaving them out silently.
func TestDirectorySkipsAreNamed(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "requirements.txt"), []byte("flask==1.0\n"), 0o644))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "requirements-prod.txt")))
	require.NoError(t, os.Symlink("loop", filepath.Join(dir, "loop")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "package-lock.json"), 0o644))
	r, err := inventory.Scan(context.Background(), []inventory.Source{{Path: dir}}, inventory.Options{})
	require.NoError(t, err)
	assert.Contains(t, lines(r), "PyPI flask@1.0 function")
	got := map[string]string{}
	for _, p := range r.Problems {
		got[p.Path] = p.Code
	}
	assert.Equal(t, map[string]string{
		"requirements-prod.txt": inventory.CodeSymlink,
		"loop":                  inventory.CodeSymlink,
		"package-lock.json":     inventory.CodeUnreadableEntry,
	}, got)
}
