// Package mirror is the Lambda that keeps the vulnerability index: it
// downloads the OSV exports of the configured ecosystems, builds the index
// and publishes it with a new version pointer. It runs daily and once after
// each deploy; the scan step always opens the current version.
package mirror

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/vulndb"
	"github.com/lambdascan/lambdascan/shared/vulndbstore"
)

// Handler builds and publishes the index.
type Handler struct {
	Config config.Config
	VulnDB *vulndbstore.Store
	Now    func() time.Time
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	return &Handler{Config: cfg, VulnDB: &vulndbstore.Store{S3: env.S3(), Bucket: cfg.Bucket, TmpDir: cfg.TmpDir}, Now: time.Now}
}

// Handle builds the index from the configured source and publishes it.
func (h *Handler) Handle(ctx context.Context, _ map[string]any) (contract.VulnDBPointerDoc, error) {
	dir, err := os.MkdirTemp(h.Config.TmpDir, "mirror-")
	if err != nil {
		return contract.VulnDBPointerDoc{}, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "osv.lsdb")
	info, err := vulndb.BuildFile(ctx, vulndb.BuildOptions{
		Sources: []string{h.Config.VulnDBSourceURL}, Ecosystems: h.Config.Ecosystems, Now: h.Now,
	}, out)
	if err != nil {
		return contract.VulnDBPointerDoc{}, &contract.TransientError{Op: "build vuln DB", Err: err}
	}
	return h.VulnDB.Publish(ctx, out, info)
}
