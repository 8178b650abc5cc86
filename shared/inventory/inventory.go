// Package inventory lists the third-party packages inside a Lambda deployment
// package, a layer or a directory, using osv-scalibr's extractors over a
// read-only view of the zip (nothing is unpacked to disk).
package inventory

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	scalibrfs "github.com/google/osv-scalibr/fs"
	scalibrlog "github.com/google/osv-scalibr/log"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/stats"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/ecosystem"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// Origin kinds: where the package sits at run time.
const (
	OriginFunction = "function" // /var/task
	OriginLayer    = "layer"    // /opt
	OriginImage    = "image"    // a container image layer (package imagescan)
)

// LayerInfo describes one layer of a scanned container image.
type LayerInfo = schema.LayerInfo

// Origin says whether a package came from the function's own code or from a layer.
type Origin struct {
	Kind  string `json:"kind"`
	Layer string `json:"layer,omitempty"` // layer version ARN, file name, or image layer DiffID
	// Image layers: the layer's index in the image history and whether it
	// belongs to the base image (osv-scalibr's history heuristic).
	LayerIndex int  `json:"layerIndex,omitempty"`
	BaseImage  bool `json:"baseImage,omitempty"`
}

// Root is the directory the origin is mounted at in the Lambda environment.
func (o Origin) Root() string {
	switch o.Kind {
	case OriginLayer:
		return "/opt"
	case OriginImage:
		return "/"
	}
	return "/var/task"
}

// Package is one third-party package found in a target.
type Package struct {
	Ecosystem  string   `json:"ecosystem"`
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	PURL       string   `json:"purl"`
	Paths      []string `json:"paths"`
	Origin     Origin   `json:"origin"`
	Extractors []string `json:"extractors"`
	// Bundled marks a package recovered heuristically from bundled JavaScript.
	Bundled bool `json:"bundled,omitempty"`
}

// Problem codes: each is a reason for a partial result.
const (
	CodeUnsafePath     = "unsafe_path"
	CodeSymlink        = "symlink_entry"
	CodeZipBomb        = "zip_bomb_limit"
	CodeEntryTooLarge  = "entry_too_large"
	CodeCorruptEntry   = "corrupt_entry"
	CodeExtractorError = "extractor_error"
	CodeBundled        = "bundled"
	CodeDuplicateEntry = "duplicate_entry"
	CodeNoVulnData     = "no_vuln_data"
)

// Problem is a reason the inventory may be incomplete (the report's
// reasons: one type for inventory, image staging and report).
type Problem = schema.Problem

// Source is one thing to inventory: a zip or a directory, with its origin.
// An empty Origin.Kind means: a layer if the top level is the /opt layout.
type Source struct {
	Path   string
	Origin Origin
}

// Result is the inventory of one or more sources.
type Result struct {
	Packages []Package `json:"packages"`
	Problems []Problem `json:"problems,omitempty"`
	Notes    []string  `json:"notes,omitempty"`
}

// Named errors for targets that cannot be read at all.
var (
	ErrTargetNotFound = errors.New("target not found")
	ErrUnsupported    = errors.New("unsupported target")
)

// Options tune a scan. The zero value uses archive.DefaultLimits.
type Options struct {
	Limits *archive.Limits
	// Known are inventories of further sources taken earlier (a layer
	// version is immutable: its inventory is cached), merged in.
	Known []*Result
}

// Version names the extractor set: cached inventories and filtered layers
// are keyed by it, so a change to what is extracted must bump it.
const Version = "1"

// Scan inventories every source and merges the results.
func Scan(ctx context.Context, sources []Source, opt Options) (*Result, error) {
	lim := archive.DefaultLimits()
	if opt.Limits != nil {
		lim = *opt.Limits
	}
	res := &Result{}
	for _, src := range sources {
		if err := scanOne(ctx, src, lim, res); err != nil {
			return nil, err
		}
	}
	for _, k := range opt.Known {
		res.Packages = append(res.Packages, k.Packages...)
		res.Problems = append(res.Problems, k.Problems...)
	}
	res.Packages = merge(res.Packages)
	if len(res.Packages) == 0 && !HasCode(res.Problems, CodeBundled) {
		res.Notes = append(res.Notes, "0 packages: no lockfile, installed package metadata, jar or binary with build info was found")
	}
	return res, nil
}

// HasCode says whether any problem has the code.
func HasCode(ps []Problem, code string) bool {
	for _, p := range ps {
		if p.Code == code {
			return true
		}
	}
	return false
}

func scanOne(ctx context.Context, src Source, lim archive.Limits, res *Result) error {
	st, err := os.Stat(src.Path)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrTargetNotFound, src.Path)
	}
	var fsys scalibrfs.FS
	var zfs *archive.FS
	if st.IsDir() {
		fsys = scalibrfs.DirFS(src.Path)
	} else {
		f, err := os.Open(src.Path)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrTargetNotFound, err)
		}
		defer f.Close()
		zfs, err = archive.Open(f, st.Size(), lim)
		if err != nil {
			return err
		}
		fsys = zfs
	}
	origin := src.Origin
	if origin.Kind == "" {
		origin = guessOrigin(fsys, src.Path)
	}
	return ScanFS(ctx, fsys, origin, lim, res)
}

// layerDirs are the top-level folders of the /opt layout Lambda layers use.
var layerDirs = map[string]bool{"nodejs": true, "python": true, "java": true, "ruby": true, "bin": true, "lib": true, "etc": true, "extensions": true}

// guessOrigin treats a package whose top level is only /opt layout folders as
// a layer (named after its file); anything else is function code.
func guessOrigin(fsys fs.ReadDirFS, p string) Origin {
	ents, err := fsys.ReadDir(".")
	if err != nil || len(ents) == 0 {
		return Origin{Kind: OriginFunction}
	}
	langDir := false
	for _, e := range ents {
		if !e.IsDir() || !layerDirs[e.Name()] {
			return Origin{Kind: OriginFunction}
		}
		langDir = langDir || (e.Name() != "bin" && e.Name() != "lib" && e.Name() != "etc")
	}
	if !langDir {
		return Origin{Kind: OriginFunction}
	}
	return Origin{Kind: OriginLayer, Layer: path.Base(filepath.ToSlash(p))}
}

// ScanFS inventories one filesystem (a zip view or a directory) into res.
func ScanFS(ctx context.Context, fsys scalibrfs.FS, origin Origin, lim archive.Limits, res *Result) error {
	rec := &recorder{}
	exts, err := newExtractors(fsys, lim, rec)
	if err != nil {
		return err
	}
	if zfs, ok := fsys.(*archive.FS); ok {
		defer prefetch(zfs, exts)()
	}
	inv, statuses, err := filesystem.Run(ctx, &filesystem.Config{
		Extractors: exts,
		ScanRoots:  []*scalibrfs.ScanRoot{{FS: fsys}},
		Stats:      stats.NoopCollector{},
		// A directory target may hold symlinks that point outside it; never follow.
		ReadSymlinks: false,
	})
	if err != nil {
		return fmt.Errorf("inventory: walking package: %w", err)
	}
	res.Problems = append(res.Problems, rec.problems...)
	res.Problems = append(res.Problems, failedPlugins(statuses, rec.problems)...)
	if zfs, ok := fsys.(*archive.FS); ok {
		for _, p := range zfs.Problems() {
			res.Problems = append(res.Problems, Problem{Code: archiveCode(p.Err), Path: p.Path, Detail: p.Err.Error()})
		}
	}
	for _, p := range inv.Packages {
		pkg, ok := convert(p, origin)
		if !ok {
			continue
		}
		res.Packages = append(res.Packages, pkg)
	}
	bundled, err := scanBundles(ctx, fsys, origin)
	if err != nil {
		return err
	}
	if len(bundled.files) > 0 {
		res.Packages = append(res.Packages, bundled.pkgs...)
		res.Problems = append(res.Problems, Problem{
			Code:   CodeBundled,
			Path:   strings.Join(bundled.files, ","),
			Detail: fmt.Sprintf("bundled: inventory may be incomplete (%d packages recovered from bundled JavaScript)", len(bundled.pkgs)),
		})
	}
	return nil
}

// failedPlugins reports failures outside Extract (embedded filesystems):
// they show only in the statuses; per-file ones were recorded with paths.
func failedPlugins(statuses []*plugin.Status, recorded []Problem) []Problem {
	seen := map[string]bool{}
	for _, p := range recorded {
		seen[strings.SplitN(p.Detail, ":", 2)[0]] = true
	}
	var out []Problem
	for _, s := range statuses {
		if s.Status != nil && s.Status.Status == plugin.ScanStatusFailed && !seen[s.Name] {
			out = append(out, Problem{Code: CodeExtractorError, Detail: s.Name + ": " + s.Status.FailureReason})
		}
	}
	return out
}

func archiveCode(err error) string {
	switch {
	case errors.Is(err, archive.ErrUnsafePath):
		return CodeUnsafePath
	case errors.Is(err, archive.ErrSymlinkEntry):
		return CodeSymlink
	case errors.Is(err, archive.ErrZipBomb):
		return CodeZipBomb
	case errors.Is(err, archive.ErrEntryTooLarge):
		return CodeEntryTooLarge
	case errors.Is(err, archive.ErrDuplicateEntry):
		return CodeDuplicateEntry
	default:
		return CodeCorruptEntry
	}
}

// convert maps an osv-scalibr package to ours; false drops it (not shipped or
// not matchable by design, see the comments).
func convert(p *extractor.Package, origin Origin) (Package, bool) {
	eco := p.Ecosystem().String()
	if eco == "" || p.Name == "" {
		return Package{}, false
	}
	switch m := p.Metadata.(type) {
	case *requirements.Metadata:
		// Only exact pins say what is installed; ">=1.0" says nothing.
		if m.VersionComparator != "==" && m.VersionComparator != "===" {
			return Package{}, false
		}
	case *depsjson.Metadata:
		// A deps.json "project" entry is the function itself, not a NuGet package.
		if m.Type == "project" {
			return Package{}, false
		}
	}
	if isOwnManifest(p) {
		return Package{}, false
	}
	if isDevOnly(p) {
		// A lockfile's devDependencies are not deployed (npm ci --omit=dev);
		// if one was, node_modules/<name>/package.json reports it anyway.
		return Package{}, false
	}
	name := p.Name
	if eco == "Go" && name == "go" {
		// The Go toolchain is matched in OSV as the "stdlib" module.
		name = "stdlib"
		p.Name = "stdlib"
	}
	purl := ""
	if u := p.PURL(); u != nil {
		u.Qualifiers = nil // drop ?source=... noise; the path is reported separately
		purl = u.String()
	}
	paths := make([]string, 0, len(p.Location.Related)+1)
	if d := p.Location.PathOrEmpty(); d != "" {
		paths = append(paths, path.Join(origin.Root(), d))
	}
	return Package{
		Ecosystem:  eco,
		Name:       name,
		Version:    p.Version,
		PURL:       purl,
		Paths:      paths,
		Origin:     origin,
		Extractors: append([]string(nil), p.Plugins...),
	}, true
}

// isOwnManifest: a package.json outside node_modules describes the function
// (or the layer) itself; reporting it would match unrelated public packages
// that happen to share its name.
func isOwnManifest(p *extractor.Package) bool {
	if len(p.Plugins) == 0 || p.Plugins[0] != packagejson.Name {
		return false
	}
	return !strings.Contains("/"+p.Location.PathOrEmpty(), "/node_modules/")
}

func isDevOnly(p *extractor.Package) bool {
	if len(p.Plugins) > 0 && p.Plugins[0] != packagelockjson.Name {
		return false
	}
	type depGroups interface{ DepGroups() []string }
	dg, ok := p.Metadata.(depGroups)
	if !ok {
		return false
	}
	groups := dg.DepGroups()
	return len(groups) > 0 && groups[0] == "dev" && len(groups) == 1
}

// merge folds the same package (ecosystem, normalized name, version, origin)
// found by several extractors or files into one, keeping every path.
func merge(pkgs []Package) []Package {
	type key struct{ eco, name, ver, kind, layer string }
	idx := map[key]int{}
	var out []Package
	for _, p := range pkgs {
		k := key{p.Ecosystem, ecosystem.NormalizeName(p.Ecosystem, p.Name), p.Version, p.Origin.Kind, p.Origin.Layer}
		if j, ok := idx[k]; ok {
			q := &out[j]
			q.Paths = union(q.Paths, p.Paths)
			q.Extractors = union(q.Extractors, p.Extractors)
			q.Bundled = q.Bundled && p.Bundled
			continue
		}
		idx[k] = len(out)
		out = append(out, p)
	}
	sort.SliceStable(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if x.Ecosystem != y.Ecosystem {
			return x.Ecosystem < y.Ecosystem
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		if x.Version != y.Version {
			return x.Version < y.Version
		}
		return x.Origin.Layer < y.Origin.Layer
	})
	return out
}

func union(a, b []string) []string {
	for _, s := range b {
		found := false
		for _, t := range a {
			if s == t {
				found = true
				break
			}
		}
		if !found {
			a = append(a, s)
		}
	}
	sort.Strings(a)
	return a
}

var _ fs.FS = (*archive.FS)(nil)

// quietLogger keeps osv-scalibr's progress lines out of the CLI's output and
// the Lambda logs; its warnings and errors surface as slog debug records and,
// where they matter, as Problems through plugin statuses.
type quietLogger struct{}

func (quietLogger) Errorf(f string, a ...any) { slog.Debug("scalibr: " + fmt.Sprintf(f, a...)) }
func (quietLogger) Warnf(f string, a ...any)  { slog.Debug("scalibr: " + fmt.Sprintf(f, a...)) }
func (quietLogger) Infof(string, ...any)      {}
func (quietLogger) Debugf(string, ...any)     {}
func (quietLogger) Error(a ...any)            { slog.Debug("scalibr: " + fmt.Sprint(a...)) }
func (quietLogger) Warn(a ...any)             { slog.Debug("scalibr: " + fmt.Sprint(a...)) }
func (quietLogger) Info(...any)               {}
func (quietLogger) Debug(...any)              {}

func init() { scalibrlog.SetLogger(quietLogger{}) }
