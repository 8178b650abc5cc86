package workflow

import (
	"context"
	"os"
	"path/filepath"

	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// Mirror downloads the OSV exports of the configured ecosystems, builds the
// index and publishes it with a new version pointer. Runs daily and once
// after deploy; the scan step always opens the current version.
func (d *Deps) Mirror(ctx context.Context, _ map[string]any) (contract.VulnDBPointerDoc, error) {
	dir, err := os.MkdirTemp(d.Config.TmpDir, "mirror-")
	if err != nil {
		return contract.VulnDBPointerDoc{}, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "osv.lsdb")
	info, err := vulndb.BuildFile(ctx, vulndb.BuildOptions{
		Sources: []string{d.Config.VulnDBSourceURL}, Ecosystems: d.Config.Ecosystems, Now: d.now,
	}, out)
	if err != nil {
		return contract.VulnDBPointerDoc{}, &contract.TransientError{Op: "build vuln DB", Err: err}
	}
	return d.VulnDB.Publish(ctx, out, info)
}
