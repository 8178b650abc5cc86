// Package scan is the scan workflow's Scan step: the engine (package
// shared/scan) on the staged function zip and layers, or the staged image,
// writing the report and both SBOMs under results/<content id>/.
package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/imagerun"
	"github.com/lambdascan/lambdascan/shared/imagescan"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
	"github.com/lambdascan/lambdascan/shared/vulndbstore"
)

// Handler runs the engine.
type Handler struct {
	Config config.Config
	S3     awsclient.S3API
	VulnDB *vulndbstore.Store
	Now    func() time.Time
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	s3c := env.S3()
	return &Handler{Config: cfg, S3: s3c, VulnDB: &vulndbstore.Store{S3: s3c, Bucket: cfg.Bucket, TmpDir: cfg.TmpDir}, Now: time.Now}
}

// Handle runs the engine on the staged function zip and layers and writes the
// report, CycloneDX and SPDX to results/<content id>/. The id covers code,
// layers, runtime and DB version but not the function: a package deployed as
// many functions is scanned once. A failed scan still writes its report and
// then fails with ScanFailed.
func (h *Handler) Handle(ctx context.Context, in contract.ScanInput) (contract.Summary, error) {
	db, err := h.VulnDB.Open(ctx)
	if errors.Is(err, vulndbstore.ErrNoDB) {
		return contract.Summary{}, &contract.VulnDBMissing{}
	}
	if err != nil {
		return contract.Summary{}, err
	}
	code := in.Fetched.Code
	// The extractor set's version is part of the id: results of an older
	// engine are not reused after an upgrade.
	id := contract.ScanID("", code, db.Info().Version+"/inventory-"+inventory.Version)
	reportKey, cdxKey, spdxKey := contract.ResultKeys(id)
	if r, err := h.readReport(ctx, reportKey); err == nil && r.Status != report.StatusFailed && !inventory.HasCode(r.Reasons, imagescan.CodeCorruptLayer) {
		// Shared by content; a damaged image pull is not shared: it is pulled again.
		return summaryOf(r, reportKey, cdxKey, spdxKey), nil
	}

	target := report.Target{Kind: report.KindFunction, FunctionARN: in.Target.FunctionARN, CodeSha256: code.CodeSha256, Runtime: code.Runtime}
	var r *report.Report
	if in.Fetched.Image != nil {
		if r, err = h.runImage(ctx, db, in.Fetched.Image, target); err != nil {
			return contract.Summary{}, err
		}
	} else if r, err = h.runZip(ctx, db, in.Fetched, target); err != nil {
		return contract.Summary{}, err
	}
	for key, format := range map[string]string{reportKey: report.FormatJSON, cdxKey: report.FormatCycloneDX, spdxKey: report.FormatSPDX} {
		if r.Status == report.StatusFailed && format != report.FormatJSON {
			continue
		}
		var buf bytes.Buffer
		if err := report.Write(&buf, r, format); err != nil {
			return contract.Summary{}, err
		}
		if _, err := h.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &h.Config.Bucket, Key: aws.String(key),
			Body: bytes.NewReader(buf.Bytes()), ContentType: aws.String("application/json")}); err != nil {
			return contract.Summary{}, awsclient.Classify("write "+format, err)
		}
	}
	if r.Status == report.StatusFailed {
		return contract.Summary{}, &contract.ScanFailed{Name: r.Error.Name, Message: r.Error.Message, ReportKey: reportKey}
	}
	return summaryOf(r, reportKey, cdxKey, spdxKey), nil
}

// runZip scans the staged function zip and layers.
func (h *Handler) runZip(ctx context.Context, db *vulndb.DB, f contract.Fetched, target report.Target) (*report.Report, error) {
	dir, err := os.MkdirTemp(h.Config.TmpDir, "scan-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	fnPath := filepath.Join(dir, "function.zip")
	if err := h.download(ctx, f.Function.Key, fnPath); err != nil {
		return nil, err
	}
	sources := []inventory.Source{{Path: fnPath, Origin: inventory.Origin{Kind: inventory.OriginFunction}}}
	var known []*inventory.Result
	for i, l := range f.Layers {
		target.Layers = append(target.Layers, report.Layer{ARN: l.LayerARN, CodeSha256: l.CodeSha256})
		inv, src, err := h.layerInventory(ctx, l, filepath.Join(dir, fmt.Sprintf("layer-%d.zip", i)))
		if err != nil {
			for _, k := range known {
				k.Release()
			}
			return nil, err
		}
		if inv != nil {
			known = append(known, inv)
		} else {
			sources = append(sources, src) // unreadable alone: the scan reports why
		}
	}
	return scan.Run(ctx, db, target, sources, scan.Options{Now: h.now, Known: known}), nil
}

// layerInventory is a layer version's inventory: cached for good (a version
// is immutable), so a layer shared by many functions is read once.
func (h *Handler) layerInventory(ctx context.Context, l contract.Staged, path string) (*inventory.Result, inventory.Source, error) {
	src := inventory.Source{Path: path, Origin: inventory.Origin{Kind: inventory.OriginLayer, Layer: l.LayerARN}}
	key := contract.LayerInventoryKey(l.LayerARN, inventory.Version)
	if b, err := h.readAll(ctx, key); err == nil {
		var inv inventory.Result
		if err := json.Unmarshal(b, &inv); err == nil {
			return &inv, src, nil
		}
	}
	if err := h.download(ctx, l.Key, path); err != nil {
		return nil, src, err
	}
	// The layer's Go binaries stay open for the scan's reachability check,
	// which releases them (scan.Run adopts Known inventories).
	inv, err := inventory.Scan(ctx, []inventory.Source{src}, inventory.Options{KeepGoBinaries: true})
	if err != nil {
		return nil, src, nil
	}
	b, err := json.Marshal(inv)
	if err != nil {
		inv.Release()
		return nil, src, err
	}
	if err := h.put(ctx, key, b); err != nil {
		inv.Release()
		return nil, src, err
	}
	return inv, src, nil
}

func summaryOf(r *report.Report, reportKey, cdxKey, spdxKey string) contract.Summary {
	return contract.Summary{
		Status: r.Status, Packages: r.Summary.Packages, Findings: r.Summary.Findings,
		BySeverity: r.Summary.BySeverity, MaxSeverity: r.Summary.MaxSeverity, DBVersion: r.DB.Version,
		KEV: r.Summary.KEV, KEVFindings: r.KEVNames(),
		ReportKey: reportKey, CycloneDX: cdxKey, SPDXKey: spdxKey, DurationMS: r.Timings.TotalMS,
		ScannedAt: r.Timings.StartedAt,
	}
}

func (h *Handler) download(ctx context.Context, key, path string) error {
	out, err := h.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &h.Config.Bucket, Key: &key})
	if err != nil {
		return awsclient.Classify("read staged package", err)
	}
	defer out.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, out.Body); err != nil {
		f.Close()
		return awsclient.Classify("read staged package", err)
	}
	return f.Close()
}

func (h *Handler) readReport(ctx context.Context, key string) (*report.Report, error) {
	out, err := h.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &h.Config.Bucket, Key: &key})
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	var r report.Report
	if err := json.NewDecoder(out.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("report %s: %w", key, err)
	}
	return &r, nil
}

// runImage rebuilds the image from staging and scans it.
func (h *Handler) runImage(ctx context.Context, db *vulndb.DB, st *contract.StagedImage, target report.Target) (*report.Report, error) {
	raw, err := h.readAll(ctx, st.ConfigKey)
	if err != nil {
		return nil, err
	}
	img, err := partial.UncompressedToImage(&stagedImage{h: h, ctx: ctx, st: st, config: raw})
	if err != nil {
		return nil, err
	}
	target.Image = &report.Image{Ref: st.URI, Digest: st.Digest, Platform: st.Platform}
	// MaxLayerBytes stays 0: layer sizes were checked when staged.
	opt := imagerun.Options{Options: scan.Options{Now: h.now}, MaxKeptBytes: h.imageOptions().MaxKeptBytes, Problems: st.Problems}
	return imagerun.Run(ctx, db, target, img, opt), nil
}

func (h *Handler) readAll(ctx context.Context, key string) ([]byte, error) {
	out, err := h.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &h.Config.Bucket, Key: &key})
	if err != nil {
		return nil, awsclient.Classify("read "+key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return b, awsclient.Classify("read "+key, err)
}

// stagedImage is an image whose layers are the staged, filtered tars.
type stagedImage struct {
	h      *Handler
	ctx    context.Context
	st     *contract.StagedImage
	config []byte
}

func (s *stagedImage) RawConfigFile() ([]byte, error)      { return s.config, nil }
func (s *stagedImage) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

func (s *stagedImage) LayerByDiffID(h v1.Hash) (partial.UncompressedLayer, error) {
	for _, l := range s.st.Layers {
		if l.DiffID == h.String() {
			return &stagedLayer{s: s, l: l, diff: h}, nil
		}
	}
	return nil, fmt.Errorf("layer %s was not staged", h)
}

type stagedLayer struct {
	s    *stagedImage
	l    contract.StagedLayer
	diff v1.Hash
}

func (l *stagedLayer) DiffID() (v1.Hash, error)            { return l.diff, nil }
func (l *stagedLayer) MediaType() (types.MediaType, error) { return types.OCIUncompressedLayer, nil }

func (l *stagedLayer) Uncompressed() (io.ReadCloser, error) {
	out, err := l.s.h.S3.GetObject(l.s.ctx, &s3.GetObjectInput{Bucket: &l.s.h.Config.Bucket, Key: &l.l.Key})
	if err != nil {
		return nil, awsclient.Classify("read staged layer", err)
	}
	return out.Body, nil
}

// imageOptions bound an image scan by the Lambda's ephemeral storage.
func (h *Handler) imageOptions() imagescan.Options {
	opt := imagescan.DefaultOptions()
	if h.Config.EphemeralBytes > 0 {
		opt.MaxKeptBytes = h.Config.EphemeralBytes / 2 // the rest for the DB index and spills
	}
	return opt
}

func (h *Handler) put(ctx context.Context, key string, body []byte) error {
	_, err := h.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &h.Config.Bucket, Key: &key, Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
	return awsclient.Classify("write "+key, err)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}
