package inventory

import (
	"context"
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/google/osv-scalibr/purl"
)

// Bundled JavaScript (esbuild, webpack, ncc) ships one file with no
// node_modules and no lockfile. What survives is evidence, not metadata:
// module path comments, VERSION constants, license banners, embedded
// package.json objects and sourcemap sources. We recover what is there,
// label it, and mark the result partial so nobody reads "0 packages" as clean.

const maxBundleBytes = 64 << 20

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

type section struct {
	module     string // node_modules/<pkg>/<file>
	start, end int    // the module's code
}

// esbuildSections finds the "// node_modules/..." comment lines esbuild
// writes before each inlined module.
func esbuildSections(src string) []section {
	const marker = "// node_modules/"
	var out []section
	lineStart, scanned := 0, 0 // start of the line holding the marker; how far we looked
	for off := 0; ; {
		i := strings.Index(src[off:], marker)
		if i < 0 {
			break
		}
		at := off + i
		off = at + len(marker)
		// Moving forward only: a bundle on one line must stay linear.
		if nl := strings.LastIndexByte(src[scanned:at], '\n'); nl >= 0 {
			lineStart = scanned + nl + 1
		}
		scanned = at
		if strings.TrimSpace(src[lineStart:at]) != "" {
			continue // the marker is not alone at the start of its line
		}
		lineEnd := strings.IndexByte(src[at:], '\n')
		if lineEnd < 0 {
			lineEnd = len(src) - at
		}
		mod := strings.TrimSpace(src[at+3 : at+lineEnd])
		if strings.ContainsAny(mod, " \t") {
			continue
		}
		if n := len(out); n > 0 {
			out[n-1].end = lineStart
		}
		out = append(out, section{module: mod, start: at + lineEnd, end: len(src)})
	}
	return out
}

type bundleResult struct {
	files []string
	pkgs  []Package
}

// scanBundles looks at JavaScript outside node_modules. A file counts as a
// bundle when it carries evidence of inlined node_modules code.
func scanBundles(ctx context.Context, fsys fs.FS, origin Origin) (bundleResult, error) {
	var res bundleResult
	found := map[string]*Package{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err != nil {
			return nil // unreadable directories are reported by the walk in ScanFS
		}
		if d.IsDir() {
			if d.Name() == "node_modules" || d.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		ext := path.Ext(p)
		if ext != ".js" && ext != ".mjs" && ext != ".cjs" && !strings.HasSuffix(p, ".js.map") {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() == 0 || info.Size() > maxBundleBytes {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil
		}
		var n int
		if strings.HasSuffix(p, ".map") {
			n = fromSourceMap(data, p, origin, found)
		} else {
			n = fromBundle(string(data), p, origin, found)
		}
		if n > 0 {
			res.files = append(res.files, p)
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	for _, p := range found {
		res.pkgs = append(res.pkgs, *p)
	}
	sort.Slice(res.pkgs, func(i, j int) bool {
		if res.pkgs[i].Name != res.pkgs[j].Name {
			return res.pkgs[i].Name < res.pkgs[j].Name
		}
		return res.pkgs[i].Version < res.pkgs[j].Version
	})
	return res, nil
}

// note records evidence of name@version. Evidence without a version joins
// the package's versioned entry when there is one; two versions of one
// package (nested copies) stay two packages.
func note(found map[string]*Package, name, version, file, how string, origin Origin) {
	if version != "" {
		if bare, ok := found[name+"@"]; ok {
			// An earlier version-less sighting now has its version.
			delete(found, name+"@")
			found[name+"@"+version] = bare
			bare.Version = version
		}
	} else {
		for k, q := range found {
			if q.Name == name && strings.HasPrefix(k, name+"@") {
				version = q.Version
				break
			}
		}
	}
	key := name + "@" + version
	p, ok := found[key]
	if !ok {
		p = &Package{Ecosystem: "npm", Name: name, Version: version, Origin: origin, Bundled: true}
		found[key] = p
	}
	loc := path.Join(origin.Root(), file)
	p.Paths = union(p.Paths, []string{loc})
	p.Extractors = union(p.Extractors, []string{"lambdascan/bundle:" + how})
	p.PURL = purl.PackageURL{Type: purl.TypeNPM, Name: name, Version: p.Version}.String()
}

func known(found map[string]*Package, name string) bool {
	for _, p := range found {
		if p.Name == name {
			return true
		}
	}
	return false
}

// fromBundle reads one JavaScript file; it returns how many packages it named.
func fromBundle(src, file string, origin Origin, found map[string]*Package) int {
	count := 0
	// esbuild writes a "// node_modules/<pkg>/<file>" comment before each
	// inlined module; the text up to the next comment is that package's code.
	for _, sec := range esbuildSections(src) {
		// node_modules/a/node_modules/lodash/x.js is lodash, not a.
		mod := sec.module[strings.LastIndex(sec.module, "node_modules/"):]
		sm := reModulePath.FindStringSubmatch(mod + "/")
		if sm == nil {
			continue
		}
		note(found, sm[1], versionConst(src[sec.start:sec.end]), file, "module-path", origin)
		count++
	}
	if count == 0 && strings.Contains(src, "node_modules/") {
		// webpack and ncc keep module ids that name the package path.
		for _, sm := range anchoredAll(src, reModulePath, "node_modules/") {
			note(found, sm[1], "", file, "module-path", origin)
			count++
		}
	}
	for _, sm := range anchoredAll(src, reBanner, "/*!", "@license") {
		// Banners capitalise ("React"); npm names are lower case.
		note(found, strings.ToLower(sm[1]), sm[2], file, "license-banner", origin)
		count++
	}
	if count > 0 {
		// Embedded package.json objects only count inside a known bundle:
		// on their own they are too easily application data.
		for _, sm := range anchoredAll(src, rePkgJSON, `"name"`) {
			if known(found, sm[1]) {
				note(found, sm[1], sm[2], file, "package-json", origin)
			}
		}
	}
	return count
}

func fromSourceMap(data []byte, file string, origin Origin, found map[string]*Package) int {
	var m struct {
		Sources []string `json:"sources"`
	}
	if json.Unmarshal(data, &m) != nil {
		return 0
	}
	count := 0
	for _, s := range m.Sources {
		i := strings.LastIndex(s, "node_modules/")
		if i < 0 {
			continue
		}
		if sm := reModulePath.FindStringSubmatch(s[i:]); sm != nil {
			note(found, sm[1], "", file, "sourcemap", origin)
			count++
		}
	}
	return count
}
