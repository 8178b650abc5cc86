package inventory

import (
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

var (
	// esbuild: "// node_modules/handlebars/dist/cjs/handlebars.js"
	// webpack: "./node_modules/lodash/lodash.js" in module ids.
	reModulePath = regexp.MustCompile(`node_modules/((?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*)/`)
	// Version constants libraries assign at top level of their module.
	reVersionConst = regexp.MustCompile(`\b(?:VERSION|version)\s*[=:]\s*["'](\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)["']`)
	// "/*! lodash v4.17.15 |" and " * @license React v16.13.1"
	reBanner = regexp.MustCompile(`(?:/\*!|@license)\s+((?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*)\s+v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\b`)
	// Embedded package.json data: {"name":"x","version":"1.2.3"
	rePkgJSON      = regexp.MustCompile(`["']?name["']?\s*:\s*["']((?:@[a-z0-9][\w.-]*/)?[a-z0-9][\w.-]*)["']\s*,\s*["']?version["']?\s*:\s*["'](\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)["']`)
	reSectionStart = regexp.MustCompile(`(?m)^\s*// (node_modules/\S+)$`)
)

type bundleResult struct {
	files []string
	pkgs  []Package
}

// scanBundles looks at JavaScript outside node_modules. A file counts as a
// bundle when it carries evidence of inlined node_modules code.
func scanBundles(fsys fs.FS, origin Origin) (bundleResult, error) {
	var res bundleResult
	found := map[string]*Package{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
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
	sort.Slice(res.pkgs, func(i, j int) bool { return res.pkgs[i].Name < res.pkgs[j].Name })
	return res, nil
}

func note(found map[string]*Package, name, version, file, how string, origin Origin) {
	p, ok := found[name]
	if !ok {
		p = &Package{Ecosystem: "npm", Name: name, Origin: origin, Bundled: true}
		found[name] = p
	}
	if p.Version == "" && version != "" {
		p.Version = version
	}
	loc := path.Join(origin.Root(), file)
	p.Paths = union(p.Paths, []string{loc})
	p.Extractors = union(p.Extractors, []string{"lambdascan/bundle:" + how})
	p.PURL = purl.PackageURL{Type: purl.TypeNPM, Name: name, Version: p.Version}.String()
}

// fromBundle reads one JavaScript file; it returns how many packages it named.
func fromBundle(src, file string, origin Origin, found map[string]*Package) int {
	count := 0
	// esbuild writes a "// node_modules/<pkg>/<file>" comment before each
	// inlined module; the text up to the next comment is that package's code.
	starts := reSectionStart.FindAllStringSubmatchIndex(src, -1)
	for i, m := range starts {
		mod := src[m[2]:m[3]]
		sm := reModulePath.FindStringSubmatch(mod + "/")
		if sm == nil {
			continue
		}
		end := len(src)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		version := ""
		if v := reVersionConst.FindStringSubmatch(src[m[1]:end]); v != nil {
			version = v[1]
		}
		note(found, sm[1], version, file, "module-path", origin)
		count++
	}
	if count == 0 {
		// webpack and ncc keep module ids that name the package path.
		for _, sm := range reModulePath.FindAllStringSubmatch(src, -1) {
			note(found, sm[1], "", file, "module-path", origin)
			count++
		}
	}
	for _, sm := range reBanner.FindAllStringSubmatch(src, -1) {
		note(found, sm[1], sm[2], file, "license-banner", origin)
		count++
	}
	if count > 0 {
		// Embedded package.json objects only count inside a known bundle:
		// on their own they are too easily application data.
		for _, sm := range rePkgJSON.FindAllStringSubmatch(src, -1) {
			if _, ok := found[sm[1]]; ok {
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
		if sm := reModulePath.FindStringSubmatch(s); sm != nil {
			note(found, sm[1], "", file, "sourcemap", origin)
			count++
		}
	}
	return count
}
