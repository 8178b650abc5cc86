package inventory

import (
	"context"
	"fmt"
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
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"
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
	// OS packages in container images (Debian/Ubuntu, Alpine, Amazon Linux/RHEL)
	dpkg.New, apk.New, rpm.New,
}

// newExtractors builds a fresh set for one filesystem; extractors carry
// per-run config. The archive limits apply inside jars too: the jar
// extractor opens nested jars itself.
func newExtractors(fsys fs.FS, lim archive.Limits, rec *recorder) ([]filesystem.Extractor, error) {
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
	for _, c := range constructors {
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
	}
	return inv, err
}

func ptr[T any](v T) *T { return &v }
