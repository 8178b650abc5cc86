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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lambdascan/lambdascan/internal/step/metrics"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/vulndb"
	"github.com/lambdascan/lambdascan/shared/vulndbstore"
)

// Handler builds and publishes the index.
type Handler struct {
	Config     config.Config
	VulnDB     *vulndbstore.Store
	CloudWatch metrics.CloudWatchAPI
	Now        func() time.Time
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	return &Handler{Config: cfg, VulnDB: &vulndbstore.Store{S3: env.S3(), Bucket: cfg.Bucket, TmpDir: cfg.TmpDir},
		CloudWatch: metrics.Client(env), Now: time.Now}
}

// Handle builds the index from the configured source and publishes it, then
// publishes the age of the current index (IndexAgeHours) — after a failed
// run too: a failing mirror shows as an index growing older, which is
// alarmed above 36 hours.
func (h *Handler) Handle(ctx context.Context, in map[string]any) (contract.VulnDBPointerDoc, error) {
	doc, err := h.build(ctx)
	h.publishAge(ctx)
	return doc, err
}

// publishAge is best effort: when it fails, the alarm sees missing data,
// which it treats as breaching.
func (h *Handler) publishAge(ctx context.Context) {
	cur, err := h.VulnDB.Current(ctx)
	if err != nil || cur.BuiltAt.IsZero() || h.CloudWatch == nil {
		return
	}
	age := h.Now().Sub(cur.BuiltAt).Hours()
	_, _ = h.CloudWatch.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(h.Config.MetricsNS), MetricData: []cwtypes.MetricDatum{
		{MetricName: aws.String(contract.MetricIndexAgeHours), Value: aws.Float64(age), Unit: cwtypes.StandardUnitNone},
	}})
}

func (h *Handler) build(ctx context.Context) (contract.VulnDBPointerDoc, error) {
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
