package inventory

import (
	"fmt"
	"io/fs"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	"github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
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
	archive.New,
	// RubyGems
	gemfilelock.New, gemspec.New,
	// NuGet
	depsjson.New,
	// crates.io
	cargoauditable.New, cargolock.New,
	// Packagist
	composerlock.New,
}

// newExtractors builds a fresh set for one filesystem; extractors carry
// per-run config.
func newExtractors(fsys fs.FS, maxFileBytes int64) ([]filesystem.Extractor, error) {
	cfg := &cpb.PluginConfig{
		MaxFileSizeBytes: maxFileBytes,
		PluginSpecific: []*cpb.PluginSpecificConfig{{
			Config: &cpb.PluginSpecificConfig_JavaArchive{JavaArchive: &cpb.JavaArchiveConfig{
				// Hashing every jar costs time and the hash is not used for matching.
				HashJars: ptr(false),
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
		out = append(out, e)
	}
	return append(out, pomProps{}), nil
}

func ptr[T any](v T) *T { return &v }
