// Package bundledjs is an osv-scalibr filesystem extractor for bundled
// JavaScript (esbuild, webpack, ncc): one file with no node_modules and no
// lockfile. What survives bundling is evidence, not metadata: module path
// comments, version constants, license banners, embedded package.json
// objects, sourcemaps, ncc's licenses.txt and bundler metafiles. The
// extractor names each package with the evidence it rests on, gives a
// version only where one survives, and remembers every file it recognised
// as a bundle (Bundles) so the inventory can say it is partial.
package bundledjs

import (
	"context"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/purl"
)

// Name of the extractor.
const Name = "lambdascan/bundledjs"

// DefaultMaxFileBytes caps the files read: a bundle larger than this is
// not a Lambda's handler.
const DefaultMaxFileBytes = 64 << 20

// Evidence kinds, as they appear in Metadata.Evidence.
const (
	EvidenceModulePath   = "module-path"      // esbuild path comment or webpack module id
	EvidenceVersionConst = "version-constant" // VERSION = "x.y.z" in the package's module section
	EvidenceBanner       = "license-banner"   // /*! name vX.Y.Z */ or @license name vX.Y.Z
	EvidencePackageJSON  = "package-json"     // an inlined package.json object
	EvidenceSourceMap    = "sourcemap"        // a sourcemap's sources (and sourcesContent)
	EvidenceLicensesTxt  = "licenses-txt"     // ncc's licenses.txt
	EvidenceMetafile     = "metafile"         // esbuild metafile or webpack stats
	EvidenceSignature    = "signature"        // a version literal next to a library's signature
)

// Metadata says how a bundled package was recovered.
type Metadata struct {
	Evidence []string
	// File is the bundle, sourcemap, licenses.txt or metafile it came from.
	File string
}

// IsProtoable marks Metadata as osv-scalibr package metadata; it is never
// serialised to osv-scalibr's protos.
func (*Metadata) IsProtoable() {}

// Bundle is one file recognised as a bundle (or as a bundle's companion).
type Bundle struct {
	Path    string
	Bundler string // esbuild, webpack, ncc, or "" when only package evidence says so
	// Minified: long lines and no module path comments, so only what the
	// minifier kept (banners, signatures, companions) can name packages.
	Minified bool
	Packages int
}

// Extractor recovers packages from bundled JavaScript. One instance per
// scan: it keeps the bundles it saw.
type Extractor struct {
	cfg     Config
	mu      sync.Mutex
	bundles map[string]Bundle
}

// Config tunes the extractor.
type Config struct {
	MaxFileBytes int64 // 0: DefaultMaxFileBytes
	// SkipDirs are not looked into: a container image's runtime (its own
	// bundled runtime client) is not the function's code.
	SkipDirs []string
}

// NewWith returns an extractor with the given settings.
func NewWith(c Config) *Extractor {
	if c.MaxFileBytes <= 0 || c.MaxFileBytes > DefaultMaxFileBytes {
		c.MaxFileBytes = DefaultMaxFileBytes
	}
	return &Extractor{cfg: c, bundles: map[string]Bundle{}}
}

// New returns an extractor honouring the config's file size cap.
func New(cfg *cpb.PluginConfig) (filesystem.Extractor, error) {
	return NewWith(Config{MaxFileBytes: cfg.GetMaxFileSizeBytes()}), nil
}

// Name of the extractor.
func (*Extractor) Name() string { return Name }

// Version of the extractor.
func (*Extractor) Version() int { return 0 }

// Requirements of the extractor.
func (*Extractor) Requirements() *plugin.Capabilities { return &plugin.Capabilities{} }

type kind int

const (
	kindNone kind = iota
	kindJS
	kindSourceMap
	kindLicenses
	kindMetafile
)

func classify(p string) kind {
	base := path.Base(p)
	switch {
	case strings.HasSuffix(base, ".js.map") || strings.HasSuffix(base, ".mjs.map") || strings.HasSuffix(base, ".cjs.map"):
		return kindSourceMap
	case strings.HasSuffix(base, ".js") || strings.HasSuffix(base, ".mjs") || strings.HasSuffix(base, ".cjs"):
		return kindJS
	case base == "licenses.txt" || strings.HasSuffix(base, ".js.LICENSE.txt"):
		// ncc --license licenses.txt; webpack/terser's extracted comments.
		return kindLicenses
	case base == "meta.json" || base == "metafile.json" || strings.HasSuffix(base, ".meta.json") ||
		base == "stats.json" || strings.HasSuffix(base, "-stats.json"):
		return kindMetafile
	}
	return kindNone
}

// FileRequired: JavaScript and bundle companions outside node_modules
// (installed packages are read from their package.json instead).
func (e *Extractor) FileRequired(api filesystem.FileAPI) bool {
	p := api.Path()
	if classify(p) == kindNone {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "node_modules" || seg == ".git" {
			return false
		}
	}
	for _, d := range e.cfg.SkipDirs {
		if strings.HasPrefix(p, d+"/") {
			return false
		}
	}
	info, err := api.Stat()
	if err != nil {
		return false
	}
	return info.Size() > 0 && info.Size() <= e.cfg.MaxFileBytes
}

// Extract reads one file.
func (e *Extractor) Extract(ctx context.Context, in *filesystem.ScanInput) (inventory.Inventory, error) {
	data, err := io.ReadAll(io.LimitReader(in.Reader, e.cfg.MaxFileBytes+1))
	if err != nil {
		return inventory.Inventory{}, err
	}
	if int64(len(data)) > e.cfg.MaxFileBytes {
		return inventory.Inventory{}, nil // FileRequired's size check raced a growing file
	}
	f := &found{file: in.Path, byKey: map[string]*extractor.Package{}}
	var b Bundle
	switch classify(in.Path) {
	case kindJS:
		b = fromBundle(string(data), f)
	case kindSourceMap:
		fromSourceMap(data, f)
	case kindLicenses:
		// A bundle's companion only when it names packages: a project's
		// own licenses.txt is not a bundle.
		fromLicenses(string(data), f)
		if len(f.byKey) > 0 {
			b.Bundler = "webpack" // terser's main.js.LICENSE.txt
			if path.Base(in.Path) == "licenses.txt" {
				b.Bundler = "ncc"
			}
		}
	case kindMetafile:
		b.Bundler = fromMetafile(data, f)
		if b.Bundler == "" {
			return inventory.Inventory{}, nil // some other JSON
		}
	}
	pkgs := f.packages()
	if len(pkgs) > 0 || b.Bundler != "" {
		b.Path = in.Path
		b.Packages = len(pkgs)
		e.mu.Lock()
		e.bundles[in.Path] = b
		e.mu.Unlock()
	}
	return inventory.Inventory{Packages: pkgs}, ctx.Err()
}

// Bundles are the files recognised so far, sorted by path.
func (e *Extractor) Bundles() []Bundle {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Bundle, 0, len(e.bundles))
	for _, b := range e.bundles {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// found collects one file's packages, keyed name@version.
type found struct {
	file  string
	byKey map[string]*extractor.Package
}

// note records evidence of name@version. Evidence without a version joins
// the package's versioned entry when there is one; two versions of one
// package (nested copies) stay two packages.
func (f *found) note(name, version, how string) {
	if version != "" {
		if bare, ok := f.byKey[name+"@"]; ok {
			delete(f.byKey, name+"@")
			bare.Version = version
			f.byKey[name+"@"+version] = bare
		}
	} else {
		for _, p := range f.byKey {
			if p.Name == name && p.Version != "" {
				version = p.Version
				break
			}
		}
	}
	key := name + "@" + version
	p, ok := f.byKey[key]
	if !ok {
		p = &extractor.Package{Name: name, Version: version, PURLType: purl.TypeNPM,
			Metadata: &Metadata{File: f.file}, Location: extractor.LocationFromPath(f.file)}
		f.byKey[key] = p
	}
	m := p.Metadata.(*Metadata)
	if !contains(m.Evidence, how) {
		m.Evidence = append(m.Evidence, how)
		sort.Strings(m.Evidence)
	}
}

func (f *found) known(name string) bool {
	for _, p := range f.byKey {
		if p.Name == name {
			return true
		}
	}
	return false
}

func (f *found) packages() []*extractor.Package {
	out := make([]*extractor.Package, 0, len(f.byKey))
	for _, p := range f.byKey {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out
}

func contains(ss []string, s string) bool {
	for _, t := range ss {
		if t == s {
			return true
		}
	}
	return false
}

// The patterns are anchored and only tried where a cheap literal search
// found their start: Go's regexp over a whole multi-MB bundle is slow.
var (
	// esbuild: "// node_modules/handlebars/dist/cjs/handlebars.js"
	// webpack: "./node_modules/lodash/lodash.js" in module ids.
	reModulePath = regexp.MustCompile(`^node_modules/((?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*)/`)
	// Version constants libraries assign at top level of their module.
	reVersionConst = regexp.MustCompile(`^(?:VERSION|version)\s*[=:]\s*["'](\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)["']`)
	// "/*! lodash v4.17.15 |" and " * @license React v16.13.1"
	reBanner = regexp.MustCompile(`^(?:/\*!|@license)\s+((?i:@[a-z0-9][\w.-]*/)?(?i:[a-z0-9][\w.-]*))\s+v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\b`)
	// Embedded package.json data: {"name":"x","version":"1.2.3"
	rePkgJSON = regexp.MustCompile(`^"name"\s*:\s*"((?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*)"\s*,\s*"version"\s*:\s*"(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)"`)
)

const window = 160

// anchoredAll runs an anchored pattern at every occurrence of each literal.
func anchoredAll(src string, re *regexp.Regexp, literals ...string) [][]string {
	var out [][]string
	for _, lit := range literals {
		for off := 0; ; {
			i := strings.Index(src[off:], lit)
			if i < 0 {
				break
			}
			at := off + i
			if m := re.FindStringSubmatch(src[at:min(len(src), at+window)]); m != nil {
				out = append(out, m)
			}
			off = at + len(lit)
		}
	}
	return out
}

// versionConst finds the first VERSION = "x.y.z" in a module's code.
func versionConst(code string) string {
	for _, m := range anchoredAll(code, reVersionConst, "VERSION", "version") {
		return m[1]
	}
	return ""
}

// packageOf names the package a module path belongs to:
// node_modules/a/node_modules/lodash/x.js is lodash, not a.
func packageOf(mod string) string {
	i := strings.LastIndex(mod, "node_modules/")
	if i < 0 {
		return ""
	}
	if sm := reModulePath.FindStringSubmatch(mod[i:] + "/"); sm != nil {
		return sm[1]
	}
	return ""
}
