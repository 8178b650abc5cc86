package inventory

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"github.com/google/osv-scalibr/plugin"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	javaarchive "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/pnpmlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pipfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/poetrylock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/uvlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemspec"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargoauditable"
	"github.com/google/osv-scalibr/extractor/filesystem/language/rust/cargolock"
	"github.com/google/osv-scalibr/inventory"

	"github.com/lambdascan/lambdascan/shared/inventory/extract/bundledjs"
	"github.com/lambdascan/lambdascan/shared/inventory/extract/jarmanifest"
	"github.com/lambdascan/lambdascan/shared/inventory/extract/pomprops"
)

// constructors lists the osv-scalibr extractors we run, by ecosystem. Only
// these are linked: importing the root scalibr package would pull every plugin.
var constructors = []func(*cpb.PluginConfig) (filesystem.Extractor, error){
	// npm
	packagelockjson.New, packagejson.New, yarnlock.New, pnpmlock.New,
	// PyPI
	wheelegg.New, requirements.New, poetrylock.New, pipfilelock.New, uvlock.New,
	// Go (binaries only: go.mod lists what was asked for, not what shipped)
	gobinary.New,
	// Maven
	javaarchive.New,
	// RubyGems
	gemfilelock.New, gemspec.New,
	// NuGet
	depsjson.New,
	// crates.io
	cargoauditable.New, cargolock.New,
	// Packagist
	composerlock.New,
	// Ours: loose pom.properties (a shaded jar uploaded as the package) and
	// pom-less jars by their manifest. Bundled JavaScript is added per run
	// (newExtractors), as it keeps the bundles it saw.
	pomprops.New, jarmanifest.New,
}

// Constructor builds an osv-scalibr filesystem extractor.
type Constructor = func(*cpb.PluginConfig) (filesystem.Extractor, error)

// newExtractors builds a fresh set for one filesystem; extractors carry
// per-run config and state. The archive limits apply inside jars too: the
// jar extractors open nested jars themselves.
func newExtractors(fsys fs.FS, opt ExtractOptions) (*Extraction, error) {
	lim := opt.Limits
	cfg := &cpb.PluginConfig{
		MaxFileSizeBytes: lim.MaxEntryBytes,
		PluginSpecific: []*cpb.PluginSpecificConfig{{
			Config: &cpb.PluginSpecificConfig_JavaArchive{JavaArchive: &cpb.JavaArchiveConfig{
				// Hashing every jar costs time and the hash is not used for matching.
				HashJars:       ptr(false),
				MaxZipDepth:    int32(lim.MaxNestingDepth),
				MaxOpenedBytes: lim.MaxTotalBytes,
				// A pom-less jar's coordinates guessed from its file name
				// are often wrong; jarmanifest identifies those jars.
				ExtractFromFilename: ptr(false),
			}},
		}},
	}
	x := &Extraction{rec: &recorder{}}
	g := newGuard(fsys, lim, x.rec)
	var jars javaJars // one opening of each jar for both jar extractors
	for _, c := range append(constructors[:len(constructors):len(constructors)], opt.Extra...) {
		e, err := c(cfg)
		if err != nil {
			return nil, fmt.Errorf("inventory: creating extractor: %w", err)
		}
		if e.Name() == gobinary.Name || e.Name() == cargoauditable.Name {
			e = binaryOnly{Extractor: e, fsys: fsys}
		}
		switch e.Name() {
		case javaarchive.Name:
			jars.archive = e
			continue
		case jarmanifest.Name:
			jars.manifest = e
			x.jars = e.(*jarmanifest.Extractor)
			continue
		}
		x.Extractors = append(x.Extractors, recording{Extractor: guarded{Extractor: e, g: g}, rec: x.rec})
	}
	// jars carries the jar extractor's name, so the guard's nested-archive
	// budget check runs before either jar extractor opens a jar.
	x.Extractors = append(x.Extractors, recording{Extractor: guarded{Extractor: jars, g: g}, rec: x.rec})
	x.bundles = bundledjs.NewWith(bundledjs.Config{MaxFileBytes: lim.MaxEntryBytes, SkipDirs: opt.SkipBundleDirs})
	x.Extractors = append(x.Extractors, recording{Extractor: x.bundles, rec: x.rec})
	return x, nil
}

// recorder collects per-file extractor failures; osv-scalibr only keeps a
// count per plugin, and a report must say which file could not be read.
type recorder struct {
	mu       sync.Mutex
	problems []Problem
	// keep: hold the Go binaries found open for the reachability check
	// (ScanFS hands them to its Result, which releases them).
	keep bool
	kept []keptBinary
}

func (r *recorder) add(p Problem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, p)
}

// recording wraps an extractor to record its per-file errors.
type recording struct {
	filesystem.Extractor
	rec *recorder
}

func (w recording) Extract(ctx context.Context, in *filesystem.ScanInput) (inventory.Inventory, error) {
	inv, err := w.Extractor.Extract(ctx, in)
	if err != nil {
		w.rec.add(problemOf(w.Name(), in.Path, err))
	} else if w.Name() == gobinary.Name && len(inv.Packages) > 0 {
		w.rec.retain(in.Path, in.Reader)
	}
	return inv, err
}

func ptr[T any](v T) *T { return &v }

// Extraction is one run's extractors (wrapped to record per-file errors).
type Extraction struct {
	Extractors []filesystem.Extractor
	rec        *recorder
	bundles    *bundledjs.Extractor
	jars       *jarmanifest.Extractor
}

// NewExtraction builds the extractors Extract runs on fsys with opt, for
// callers that only need to know which files they read (an image's layer
// filter).
func NewExtraction(fsys fs.FS, opt ExtractOptions) (*Extraction, error) {
	return newExtractors(fsys, opt)
}

// Problems are the recorded per-file errors and the plugins that failed.
func (x *Extraction) Problems(statuses []*plugin.Status) []Problem {
	recorded := x.Recorded()
	return append(recorded, failedPlugins(statuses, recorded)...)
}

// Recorded is what the extractors recorded, file by file.
func (x *Extraction) Recorded() []Problem {
	x.rec.mu.Lock()
	defer x.rec.mu.Unlock()
	return slices.Clone(x.rec.problems)
}

// Unwrap returns the extractor inside our wrappers, and whether it only
// wants files with an executable's magic number (Go and Rust binaries).
func Unwrap(e filesystem.Extractor) (filesystem.Extractor, bool) {
	if r, ok := e.(recording); ok {
		e = r.Extractor
	}
	if g, ok := e.(guarded); ok {
		e = g.Extractor
	}
	if b, ok := e.(binaryOnly); ok {
		return b.Extractor, true
	}
	return e, false
}

// HasExecutableMagic says whether a file's first bytes are an executable's.
func HasExecutableMagic(head []byte) bool {
	return slices.ContainsFunc(magics, func(m []byte) bool { return bytes.HasPrefix(head, m) })
}
