// Package imagerun scans a container image into a report: imagescan's
// layer-attributed inventory, matched by the engine. It is apart from
// imagescan so the fetch step, which only filters layers, links no matcher,
// report renderers or vulnerability index.
package imagerun

import (
	"context"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/lambdascan/lambdascan/shared/imagescan"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// Run scans a container image (target.Image names it) into a report:
// packages attributed to their layers, matched like any other scan.
func Run(ctx context.Context, db *vulndb.DB, target report.Target, img v1.Image, opt Options) *report.Report {
	return scan.RunWith(ctx, db, target, opt.Options, func(ctx context.Context, r *report.Report) (*inventory.Result, error) {
		iopt := imagescan.DefaultOptions()
		if opt.Limits != nil {
			iopt.Limits = *opt.Limits
		}
		if opt.MaxKeptBytes > 0 {
			iopt.MaxKeptBytes = opt.MaxKeptBytes
		}
		iopt.MaxLayerBytes = opt.MaxLayerBytes // 0: no limit (staged layers were checked)
		iopt.Problems = opt.Problems
		iopt.KeepGoBinaries = true // released by the scan once matched
		res, err := imagescan.ScanImage(ctx, img, iopt)
		if err != nil {
			return nil, err
		}
		if r.Target.Image == nil {
			r.Target.Image = &report.Image{}
		}
		r.Target.Image.Layers = res.Layers
		r.Target.Image.OS = res.OS["PRETTY_NAME"]
		return &res.Result, nil
	})
}

// Options tune Run.
type Options struct {
	scan.Options
	MaxLayerBytes int64               // compressed size of one layer; 0 means no limit
	MaxKeptBytes  int64               // bytes the scan may write to the temp dir; 0 takes the default
	Problems      []inventory.Problem // known already (found when the layers were staged)
}
