// Package scan is the engine shared by the CLI and the scanner Lambda:
// inventory one target (function code plus layers), match it against the
// vuln index, and always return a report, a failed one included.
package scan

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/report/schema"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// Version is the scanner version (set at build time on schema.Version).
var Version = schema.Version

// Name is the scanner's name in reports and SBOMs.
const Name = schema.ScannerName

// Options tune a scan.
type Options struct {
	Limits *archive.Limits
	Now    func() time.Time
	Known  []*inventory.Result // inventories taken earlier (cached layers)
}

// Run scans the sources of one target. It never returns nil: a failure is a
// report with status failed and a named error.
func Run(ctx context.Context, db *vulndb.DB, target report.Target, sources []inventory.Source, opt Options) *report.Report {
	return run(ctx, db, target, opt, func(ctx context.Context, _ *report.Report) (*inventory.Result, error) {
		return inventory.Scan(ctx, sources, inventory.Options{Limits: opt.Limits, Known: opt.Known})
	})
}

// RunWith scans with an inventory taken by inventorise (container images:
// package imagescan), which may fill in the report's target.
func RunWith(ctx context.Context, db *vulndb.DB, target report.Target, opt Options,
	inventorise func(context.Context, *report.Report) (*inventory.Result, error)) *report.Report {
	return run(ctx, db, target, opt, inventorise)
}

func run(ctx context.Context, db *vulndb.DB, target report.Target, opt Options,
	inventorise func(context.Context, *report.Report) (*inventory.Result, error)) (r *report.Report) {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	start := now()
	r = &report.Report{
		Header:   schema.NewHeader(target, start),
		Packages: []inventory.Package{},
		Findings: []match.Finding{},
	}
	if db != nil {
		info := db.Info()
		r.DB = report.DB{Version: info.Version, ContentHash: info.ContentHash, BuiltAt: info.BuiltAt}
	}
	finish := func() *report.Report {
		r.Timings.TotalMS = now().Sub(start).Milliseconds()
		r.Summarize()
		return r
	}
	defer func() {
		// A bug in an extractor must cost one report, not the process.
		if p := recover(); p != nil {
			fail(r, fmt.Errorf("%w: %v", errPanic, p))
			finish()
		}
	}()
	if db == nil {
		fail(r, errNoDB)
		return finish()
	}
	inv, err := inventorise(ctx, r)
	t1 := now()
	r.Timings.InventoryMS = t1.Sub(start).Milliseconds()
	if err == nil {
		// A scan cut short by its deadline must not pass for a complete one.
		err = ctx.Err()
	}
	if err != nil {
		fail(r, err)
		return finish()
	}
	r.Packages = inv.Packages
	r.Notes = inv.Notes
	findings, skips, err := match.Packages(db, inv.Packages)
	r.Timings.MatchMS = now().Sub(t1).Milliseconds()
	if err != nil {
		fail(r, err)
		return finish()
	}
	r.Findings = findings
	if r.Findings == nil {
		r.Findings = []match.Finding{}
	}
	r.Skipped = skips
	r.Reasons = inv.Problems
	missing := map[string]int{}
	for _, s := range skips {
		if s.Code == match.SkipNoEcosystemData {
			missing[s.Package.Ecosystem]++
		}
	}
	for _, eco := range sortedKeys(missing) {
		r.Reasons = append(r.Reasons, inventory.Problem{Code: inventory.CodeNoVulnData,
			Detail: fmt.Sprintf("%d %s packages not matched: the vulnerability database has no %s data", missing[eco], eco, eco)})
	}
	r.Status = report.StatusComplete
	if len(r.Reasons) > 0 {
		r.Status = report.StatusPartial
	}
	return finish()
}

var (
	errNoDB  = errors.New("no vulnerability database loaded")
	errPanic = errors.New("internal error while scanning")
)

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func fail(r *report.Report, err error) {
	r.Fail(ErrorName(err), err.Error())
}

// ErrorName gives the stable name of an error: Step Functions routes on it
// (it becomes the Lambda errorType) and metrics count by it.
func ErrorName(err error) schema.ErrorName {
	var named interface{ ErrorName() string } // errors that carry their name (image.Error)
	switch {
	case errors.Is(err, archive.ErrNotZip):
		return schema.ErrNotAZip
	case errors.Is(err, archive.ErrCorrupt):
		return schema.ErrCorruptPackage
	case errors.Is(err, archive.ErrZipBomb):
		return schema.ErrZipBomb
	case errors.Is(err, archive.ErrTooManyEntries):
		return schema.ErrTooManyEntries
	case errors.Is(err, archive.ErrEntryTooLarge):
		return schema.ErrEntryTooLarge
	case errors.Is(err, inventory.ErrTargetNotFound):
		return schema.ErrTargetNotFound
	case errors.As(err, &named):
		return schema.ErrorName(named.ErrorName())
	case errors.Is(err, vulndb.ErrCorrupt), errors.Is(err, vulndb.ErrNotIndex):
		return schema.ErrVulnDBCorrupt
	case errors.Is(err, errNoDB):
		return schema.ErrVulnDBMissing
	case errors.Is(err, errPanic):
		return schema.ErrScanPanic
	case errors.Is(err, context.DeadlineExceeded):
		return schema.ErrScanTimeout
	case errors.Is(err, context.Canceled):
		return schema.ErrScanCanceled
	}
	return schema.ErrScanError
}
