package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/imagescan"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
	"github.com/lambdascan/lambdascan/shared/vulndbstore"
)

// Scan runs the engine on the staged function zip and layers and writes the
// report, CycloneDX and SPDX to results/<content id>/. The id covers code,
// layers, runtime and DB version but not the function: a package deployed as
// many functions is scanned once. A failed scan still writes its report and
// then fails with ScanFailed.
func (d *Deps) Scan(ctx context.Context, in contract.ScanInput) (contract.Summary, error) {
	db, err := d.VulnDB.Open(ctx)
	if errors.Is(err, vulndbstore.ErrNoDB) {
		return contract.Summary{}, &contract.VulnDBMissing{}
	}
	if err != nil {
		return contract.Summary{}, err
	}
	code := in.Fetched.Code
	id := contract.ScanID("", code, db.Info().Version)
	reportKey, cdxKey, spdxKey := contract.ResultKeys(id)
	if r, err := d.readReport(ctx, reportKey); err == nil && r.Status != report.StatusFailed && !inventory.HasCode(r.Reasons, imagescan.CodeCorruptLayer) {
		// Shared by content; a damaged image pull is not shared: it is pulled again.
		return summaryOf(r, reportKey, cdxKey, spdxKey), nil
	}

	target := report.Target{Kind: "function", FunctionARN: in.Target.FunctionARN, CodeSha256: code.CodeSha256, Runtime: code.Runtime}
	var r *report.Report
	if in.Fetched.Image != nil {
		if r, err = d.runImage(ctx, db, in.Fetched.Image, target); err != nil {
			return contract.Summary{}, err
		}
	} else if r, err = d.runZip(ctx, db, in.Fetched, target); err != nil {
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
		if _, err := d.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.Config.Bucket, Key: aws.String(key),
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
func (d *Deps) runZip(ctx context.Context, db *vulndb.DB, f contract.Fetched, target report.Target) (*report.Report, error) {
	dir, err := os.MkdirTemp(d.Config.TmpDir, "scan-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	fnPath := filepath.Join(dir, "function.zip")
	if err := d.download(ctx, f.Function.Key, fnPath); err != nil {
		return nil, err
	}
	sources := []inventory.Source{{Path: fnPath, Origin: inventory.Origin{Kind: inventory.OriginFunction}}}
	var known []*inventory.Result
	for i, l := range f.Layers {
		target.Layers = append(target.Layers, report.Layer{ARN: l.LayerARN, CodeSha256: l.CodeSha256})
		inv, src, err := d.layerInventory(ctx, l, filepath.Join(dir, fmt.Sprintf("layer-%d.zip", i)))
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
	return scan.Run(ctx, db, target, sources, scan.Options{Now: d.now, Known: known}), nil
}

// layerInventory is a layer version's inventory: cached for good (a version
// is immutable), so a layer shared by many functions is read once.
func (d *Deps) layerInventory(ctx context.Context, l contract.Staged, path string) (*inventory.Result, inventory.Source, error) {
	src := inventory.Source{Path: path, Origin: inventory.Origin{Kind: inventory.OriginLayer, Layer: l.LayerARN}}
	key := contract.LayerInventoryKey(l.LayerARN, inventory.Version)
	if b, err := d.readAll(ctx, key); err == nil {
		var inv inventory.Result
		if err := json.Unmarshal(b, &inv); err == nil {
			return &inv, src, nil
		}
	}
	if err := d.download(ctx, l.Key, path); err != nil {
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
	if err := d.put(ctx, key, bytes.NewReader(b), int64(len(b)), nil); err != nil {
		inv.Release()
		return nil, src, err
	}
	return inv, src, nil
}

func summaryOf(r *report.Report, reportKey, cdxKey, spdxKey string) contract.Summary {
	return contract.Summary{
		Status: r.Status, Packages: r.Summary.Packages, Findings: r.Summary.Findings,
		BySeverity: r.Summary.BySeverity, MaxSeverity: r.Summary.MaxSeverity, DBVersion: r.DB.Version,
		ReportKey: reportKey, CycloneDX: cdxKey, SPDXKey: spdxKey, DurationMS: r.Timings.TotalMS,
		ScannedAt: r.Timings.StartedAt,
	}
}

func (d *Deps) download(ctx context.Context, key, path string) error {
	out, err := d.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &d.Config.Bucket, Key: &key})
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

func (d *Deps) readReport(ctx context.Context, key string) (*report.Report, error) {
	out, err := d.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &d.Config.Bucket, Key: &key})
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
