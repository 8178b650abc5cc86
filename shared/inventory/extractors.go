package inventory

import (
	"bytes"
	"slices"

	"context"
	"fmt"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/plugin"
	"io/fs"
	"sync"

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

	"github.com/lambdascan/lambdascan/shared/archive"
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
}

// Constructor builds an osv-scalibr filesystem extractor.
type Constructor = func(*cpb.PluginConfig) (filesystem.Extractor, error)

// newExtractors builds a fresh set for one filesystem; extractors carry
// per-run config. The archive limits apply inside jars too: the jar
// extractor opens nested jars itself.
func newExtractors(fsys fs.FS, lim archive.Limits, rec *recorder, extra ...Constructor) ([]filesystem.Extractor, error) {
	cfg := &cpb.PluginConfig{
		MaxFileSizeBytes: lim.MaxEntryBytes,
		PluginSpecific: []*cpb.PluginSpecificConfig{{
			Config: &cpb.PluginSpecificConfig_JavaArchive{JavaArchive: &cpb.JavaArchiveConfig{
				// Hashing every jar costs time and the hash is not used for matching.
				HashJars:       ptr(false),
				MaxZipDepth:    int32(lim.MaxNestingDepth),
				MaxOpenedBytes: lim.MaxTotalBytes,
			}},
		}},
	}
	out := make([]filesystem.Extractor, 0, len(constructors))
	for _, c := range append(constructors[:len(constructors):len(constructors)], extra...) {
		e, err := c(cfg)
		if err != nil {
			return nil, fmt.Errorf("inventory: creating extractor: %w", err)
		}
		if e.Name() == gobinary.Name || e.Name() == cargoauditable.Name {
			e = binaryOnly{Extractor: e, fsys: fsys}
		}
		out = append(out, recording{Extractor: e, rec: rec})
	}
	return append(out, recording{Extractor: pomProps{}, rec: rec}), nil
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
		w.rec.add(Problem{Code: CodeExtractorError, Path: in.Path, Detail: w.Name() + ": " + err.Error()})
	} else if w.Name() == gobinary.Name && len(inv.Packages) > 0 {
		w.rec.retain(in.Path, in.Reader)
	}
	return inv, err
}

func ptr[T any](v T) *T { return &v }

// Extraction is one run's extractors (wrapped to record per-file errors)
// for callers that walk a filesystem of their own (container images).
type Extraction struct {
	Extractors []filesystem.Extractor
	rec        *recorder
}

// NewExtraction builds the language extractors plus extra ones for fsys.
func NewExtraction(fsys fs.FS, lim archive.Limits, extra ...Constructor) (*Extraction, error) {
	rec := &recorder{}
	exts, err := newExtractors(fsys, lim, rec, extra...)
	if err != nil {
		return nil, err
	}
	return &Extraction{Extractors: exts, rec: rec}, nil
}

// Problems are the recorded per-file errors and the plugins that failed.
func (x *Extraction) Problems(statuses []*plugin.Status) []Problem {
	x.rec.mu.Lock()
	recorded := slices.Clone(x.rec.problems)
	x.rec.mu.Unlock()
	return append(recorded, failedPlugins(statuses, recorded)...)
}

// Unwrap returns the extractor inside our wrappers, and whether it only
// wants files with an executable's magic number (Go and Rust binaries).
func Unwrap(e filesystem.Extractor) (filesystem.Extractor, bool) {
	if r, ok := e.(recording); ok {
		e = r.Extractor
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

// Convert maps an osv-scalibr package to ours (false: dropped by design).
func Convert(p *extractor.Package, origin Origin) (Package, bool) { return convert(p, origin) }

// Merge dedupes packages found by several extractors, and sorts them.
func Merge(pkgs []Package) []Package { return merge(pkgs) }
