package inventory

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	scalibrfs "github.com/google/osv-scalibr/fs"
	scalibrinv "github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/stats"

	"github.com/lambdascan/lambdascan/shared/archive"
)

// CodeUnidentifiedJar: a jar without pom.properties whose manifest and
// file name map to no single Maven artifact (a reason for a partial result).
const CodeUnidentifiedJar = "unidentified_jar"

// ExtractOptions tune Extract.
type ExtractOptions struct {
	// Origin of every package (unless Attribute says otherwise).
	Origin Origin
	Limits archive.Limits
	// Extra extractors besides the language ones (an image's OS package
	// databases).
	Extra []Constructor
	// SkipBundleDirs are not searched for bundled JavaScript (an image's
	// runtime directories).
	SkipBundleDirs []string
	// Attribute runs after the walk, with its raw inventory and the
	// extractors, and returns each package's origin: an image attributes
	// packages to the layer that added them.
	Attribute func(ctx context.Context, inv *scalibrinv.Inventory, exts []filesystem.Extractor) func(*extractor.Package) Origin
	// KeepGoBinaries holds the Go binaries found open in the Result until
	// its Release (see Options.KeepGoBinaries).
	KeepGoBinaries bool
}

// Extract is the one inventory pipeline, for a zip, a directory and a
// container image's layers alike: every extractor (osv-scalibr's and ours)
// over fsys, then what is not shipped dropped, what is only declared
// marked, and everything the engine could not read named as a problem.
func Extract(ctx context.Context, fsys scalibrfs.FS, opt ExtractOptions) (*Result, error) {
	x, err := newExtractors(fsys, opt)
	if err != nil {
		return nil, err
	}
	if opt.KeepGoBinaries {
		x.KeepGoBinaries()
	}
	zfs, _ := fsys.(*archive.FS)
	if zfs != nil {
		defer prefetch(zfs, x.Extractors)()
	}
	inv, statuses, err := filesystem.Run(ctx, &filesystem.Config{
		Extractors: x.Extractors,
		ScanRoots:  []*scalibrfs.ScanRoot{{FS: fsys}},
		Stats:      stats.NoopCollector{},
		// A directory target may hold symlinks that point outside it; never follow.
		ReadSymlinks: false,
	})
	if err != nil {
		x.release()
		return nil, fmt.Errorf("inventory: walking package: %w", err)
	}
	if err := ctx.Err(); err != nil {
		x.release()
		return nil, err
	}
	var res *Result
	if zfs == nil || len(zfs.Problems()) == 0 {
		res = &Result{Problems: x.Problems(statuses)}
	} else {
		// In a zip, an extractor fails outside Extract only when the entry
		// cannot be opened, and the zip names that entry below.
		res = &Result{Problems: x.Recorded()}
	}
	if zfs != nil {
		for _, p := range zfs.Problems() {
			res.Problems = append(res.Problems, Problem{Code: archiveCode(p.Err), Path: p.Path, Detail: p.Err.Error()})
		}
	}
	originOf := func(*extractor.Package) Origin { return opt.Origin }
	if opt.Attribute != nil {
		// Attribution re-extracts each package's file in older layers: with
		// the bare extractors, so an older copy of a Go binary is not kept in
		// place of the final one, and the guard's nested-archive budget is
		// not spent again.
		bare := make([]filesystem.Extractor, len(x.Extractors))
		for i, e := range x.Extractors {
			bare[i], _ = Unwrap(e)
		}
		originOf = opt.Attribute(ctx, &inv, bare)
	}
	var pkgs []Package
	for _, p := range inv.Packages {
		o := originOf(p)
		if reason := notShipped(p); reason != "" {
			res.Dropped = append(res.Dropped, Dropped{Ecosystem: p.Ecosystem().String(), Name: p.Name, Version: p.Version,
				Path: joinRoot(o, p.Location.PathOrEmpty()), Reason: reason})
			continue
		}
		if pkg, ok := convert(p, o); ok {
			pkgs = append(pkgs, pkg)
		}
	}
	var dropped []Dropped
	res.Packages, dropped = classify(merge(foldBundled(pkgs)))
	res.Dropped = append(res.Dropped, dropped...)
	bundled := 0
	for _, p := range res.Packages {
		if p.Bundled {
			bundled++
		}
	}
	res.Problems = append(res.Problems, x.readProblems(bundled)...)
	// The binaries are keyed by where they run: an image's single final
	// filesystem, or the source's root.
	x.HandOver(res, opt.Origin, nil)
	return res, nil
}

// readProblems: bundles (whatever they inline beyond the evidence is not
// listed) and jars that could not be identified.
func (x *Extraction) readProblems(bundled int) []Problem {
	var out []Problem
	if bs := x.bundles.Bundles(); len(bs) > 0 {
		var files, minified []string
		for _, b := range bs {
			files = append(files, b.Path)
			if b.Minified {
				minified = append(minified, b.Path)
			}
		}
		detail := fmt.Sprintf("bundled: inventory may be incomplete (%d packages recovered from bundled JavaScript", bundled)
		if len(minified) > 0 {
			detail += "; minified: " + strings.Join(minified, ",")
		}
		out = append(out, Problem{Code: CodeBundled, Path: strings.Join(files, ","), Detail: detail + ")"})
	}
	if x.jars != nil {
		for _, u := range x.jars.Unidentified() {
			out = append(out, Problem{Code: CodeUnidentifiedJar, Path: u.Path,
				Detail: "no pom.properties, and the manifest and file name name no single Maven artifact: " + u.Identity})
		}
	}
	return out
}

func joinRoot(o Origin, p string) string {
	if p == "" {
		return ""
	}
	return strings.TrimSuffix(o.Root(), "/") + "/" + p
}
