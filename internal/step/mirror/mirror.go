// Package mirror is the Lambda that keeps the vulnerability index: it
// downloads the OSV exports of the configured ecosystems, refreshes the
// NVD, KEV and EPSS feeds, builds the index and publishes it with a new
// version pointer. It runs daily and once after each deploy; the scan step
// always opens the current version.
package mirror

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/lambdascan/lambdascan/internal/step/metrics"
	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/feeds"
	"github.com/lambdascan/lambdascan/shared/vulndb"
	"github.com/lambdascan/lambdascan/shared/vulndbstore"
)

// SecretsAPI is the Secrets Manager call this step makes (the NVD API key).
type SecretsAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Handler builds and publishes the index.
type Handler struct {
	Config     config.Config
	VulnDB     *vulndbstore.Store
	Secrets    SecretsAPI
	CloudWatch metrics.CloudWatchAPI
	HTTP       *http.Client // feed downloads
	Now        func() time.Time
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	return &Handler{Config: cfg, VulnDB: &vulndbstore.Store{S3: env.S3(), Bucket: cfg.Bucket, TmpDir: cfg.TmpDir},
		Secrets:    secretsmanager.NewFromConfig(env.Config, func(o *secretsmanager.Options) { o.BaseEndpoint = env.Base() }),
		CloudWatch: metrics.Client(env), HTTP: &http.Client{Timeout: 5 * time.Minute}, Now: time.Now}
}

// Handle refreshes the feeds, builds the index from the configured source
// and the feeds, and publishes it, then publishes the age of the current
// index (IndexAgeHours) — after a failed run too: a failing mirror shows as
// an index growing older, which is alarmed above 36 hours. A feed that fails
// does not fail the run: its previous data goes into the index, whose header
// names the error, and the FeedFailure metric (alarmed in the stack) counts it.
func (h *Handler) Handle(ctx context.Context, _ map[string]any) (contract.VulnDBPointerDoc, error) {
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
	set, err := h.refreshFeeds(ctx)
	if err != nil {
		return contract.VulnDBPointerDoc{}, err
	}
	out := filepath.Join(dir, "osv.lsdb")
	info, err := vulndb.BuildFile(ctx, vulndb.BuildOptions{
		Sources: []string{h.Config.VulnDBSourceURL}, Ecosystems: h.Config.Ecosystems, Now: h.Now, Feeds: set,
	}, out)
	if err != nil {
		return contract.VulnDBPointerDoc{}, &contract.TransientError{Op: "build vuln DB", Err: err}
	}
	return h.VulnDB.Publish(ctx, out, info)
}

// refreshFeeds brings the configured feeds up to date from the stored
// state, stores the new state and reports each feed's outcome as a metric.
// It returns the set the index is built with (nil: no feed configured).
func (h *Handler) refreshFeeds(ctx context.Context) (*feeds.Set, error) {
	enabled := h.Config.Feeds
	if len(enabled) == 0 {
		return nil, nil
	}
	st, err := h.VulnDB.LoadFeeds(ctx)
	if err != nil {
		return nil, err
	}
	remote := feeds.Remote{HTTP: h.HTTP}
	var failed []string
	if slices.Contains(enabled, feeds.NVD) {
		key, err := h.apiKey(ctx)
		if err != nil {
			// Without its key NVD would still answer, at a tenth of the
			// rate the run was sized for: a failed NVD refresh instead.
			st.Set.Failed(feeds.NVD, err)
			failed = append(failed, feeds.NVD)
		} else {
			remote.NVD = &feeds.NVDClient{BaseURL: h.Config.NVDURL, APIKey: key, HTTP: h.HTTP,
				Delay: h.Config.NVDDelay, Backoff: h.Config.NVDDelay, MaxRequests: h.Config.NVDMaxRequests}
		}
	}
	if slices.Contains(enabled, feeds.KEV) {
		remote.KEVURL = h.Config.KEVURL
	}
	if slices.Contains(enabled, feeds.EPSS) {
		remote.EPSSURL = h.Config.EPSSURL
	}
	failed = append(failed, feeds.Refresh(ctx, st, remote, h.Now().UTC())...)
	if err := h.VulnDB.SaveFeeds(ctx, st); err != nil {
		return nil, err
	}
	if err := h.putFeedMetrics(ctx, enabled, failed); err != nil {
		return nil, err
	}
	return st.Set.Only(enabled), nil
}

func (h *Handler) apiKey(ctx context.Context) (string, error) {
	if h.Config.NVDAPIKeySecret == "" {
		return "", nil
	}
	out, err := h.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(h.Config.NVDAPIKeySecret)})
	if err != nil {
		return "", fmt.Errorf("NVD API key: %w", awsclient.Classify("GetSecretValue", err))
	}
	return aws.ToString(out.SecretString), nil
}

// putFeedMetrics publishes FeedFailure 1 or 0 for every enabled feed, so
// the alarm sees healthy runs too.
func (h *Handler) putFeedMetrics(ctx context.Context, enabled, failed []string) error {
	var data []cwtypes.MetricDatum
	for _, f := range enabled {
		v := 0.0
		if slices.Contains(failed, f) {
			v = 1
		}
		data = append(data, cwtypes.MetricDatum{MetricName: aws.String(contract.MetricFeedFailure), Value: aws.Float64(v), Unit: cwtypes.StandardUnitCount,
			Dimensions: []cwtypes.Dimension{{Name: aws.String("Feed"), Value: aws.String(f)}}})
	}
	if _, err := h.CloudWatch.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: &h.Config.MetricsNS, MetricData: data}); err != nil {
		return awsclient.Classify("PutMetricData", err)
	}
	return nil
}
