package bundledjs

import (
	"encoding/json"
	"regexp"
	"strings"
)

type section struct {
	module     string // node_modules/<pkg>/<file>
	start, end int    // the module's code
}

// esbuildSections finds the "// node_modules/..." comment lines esbuild
// writes before each inlined module (when not minifying).
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

// bundlerMarks are runtime helpers each bundler emits and minifiers keep
// (they are property names, string keys, or top-level names).
var bundlerMarks = []struct{ bundler, mark string }{
	{"ncc", "__nccwpck_require__"},
	{"webpack", "__webpack_require__"},
	{"webpack", "__webpack_modules__"},
	{"webpack", "webpackChunk"},
	{"esbuild", "__commonJS"},
	{"esbuild", "__toESM"},
	// esbuild --minify's __commonJS helper: (t={exports:{}}).exports
	{"esbuild", "={exports:{}}).exports"},
}

func bundlerOf(src string) string {
	for _, m := range bundlerMarks {
		if strings.Contains(src, m.mark) {
			return m.bundler
		}
	}
	return ""
}

// minified: some line is longer than any hand-written one.
func minified(src string) bool {
	for len(src) > 0 {
		i := strings.IndexByte(src, '\n')
		if i < 0 {
			i = len(src)
		}
		if i > 4000 {
			return true
		}
		src = src[min(i+1, len(src)):]
	}
	return false
}

// fromBundle reads one JavaScript file.
func fromBundle(src string, f *found) Bundle {
	b := Bundle{Bundler: bundlerOf(src)}
	paths := 0
	// esbuild writes a "// node_modules/<pkg>/<file>" comment before each
	// inlined module; the text up to the next comment is that package's code.
	for _, sec := range esbuildSections(src) {
		name := packageOf(sec.module)
		if name == "" {
			continue
		}
		if v := versionConst(src[sec.start:sec.end]); v != "" {
			f.note(name, v, EvidenceVersionConst)
		}
		f.note(name, "", EvidenceModulePath)
		paths++
	}
	if paths > 0 && b.Bundler == "" {
		b.Bundler = "esbuild"
	}
	if paths == 0 && strings.Contains(src, "node_modules/") {
		// webpack and ncc keep module ids that name the package path.
		for _, sm := range anchoredAll(src, reModulePath, "node_modules/") {
			f.note(sm[1], "", EvidenceModulePath)
			paths++
		}
	}
	banners := 0
	for _, sm := range anchoredAll(src, reBanner, "/*!", "@license") {
		// Banners capitalise ("React"); npm names are lower case.
		f.note(strings.ToLower(sm[1]), sm[2], EvidenceBanner)
		banners++
	}
	if paths == 0 && banners == 0 && b.Bundler == "" {
		return b // a plain handler: nothing says it inlines packages
	}
	for _, s := range signatures {
		if v := s.find(src); v != "" {
			f.note(s.name, v, EvidenceSignature)
		}
	}
	// Embedded package.json objects only count for a package already seen:
	// on their own they are too easily application data.
	for _, sm := range anchoredAll(src, rePkgJSON, `"name"`) {
		if f.known(sm[1]) {
			f.note(sm[1], sm[2], EvidencePackageJSON)
		}
	}
	b.Minified = paths == 0 && minified(src)
	return b
}

// signature: a library's version literal sits next to a string or property
// name the minifier keeps. Each was read off the library's own (minified
// and plain) builds; a literal further away than window is not taken.
type signature struct {
	name   string
	anchor string
	// before: the version literal precedes the anchor; else it follows.
	before bool
	window int
	// also, when set, must occur within window after the version literal
	// (it tells a library from another that shares the anchor).
	also string
}

var reQuotedVersion = regexp.MustCompile(`["'](\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)["']`)

var signatures = []signature{
	// handlebars: VERSION = "4.5.3"; exports.VERSION = VERSION; var COMPILER_REVISION = 8;
	{name: "handlebars", anchor: "COMPILER_REVISION", before: true, window: 120},
	// lodash: var VERSION = '4.17.21'; ... HASH_UNDEFINED = '__lodash_hash_undefined__'
	{name: "lodash", anchor: "__lodash_hash_undefined__", before: true, window: 600},
	// underscore's UMD wrapper: define('underscore', ...) then VERSION and
	// its root lookup (backbone shares the lookup, not the define name).
	{name: "underscore", anchor: "'underscore'", window: 400, also: "self.self"},
	{name: "underscore", anchor: `"underscore"`, window: 400, also: "self.self"},
	// underscore through webpack/ncc, which drop the define() name: VERSION
	// right before its root lookup, whose Function("return this") fallback
	// backbone's lacks.
	{name: "underscore", anchor: `global.global===global&&global||Function(`, before: true, window: 160, also: "var"},
	// moment: hooks.version = '2.29.1'; ... hooks.isMoment = isMoment
	{name: "moment", anchor: ".isMoment", before: true, window: 400, also: ".version"},
}

// find returns the version next to the first anchor, or "".
func (s signature) find(src string) string {
	at := strings.Index(src, s.anchor)
	if at < 0 {
		return ""
	}
	if s.before {
		w := src[max(0, at-s.window):at]
		ms := reQuotedVersion.FindAllStringSubmatchIndex(w, -1)
		if len(ms) == 0 {
			return ""
		}
		m := ms[len(ms)-1] // the nearest literal before the anchor
		if s.also != "" && !strings.Contains(w[max(0, m[0]-len(s.also)-4):m[0]], s.also) {
			return ""
		}
		return w[m[2]:m[3]]
	}
	w := src[at:min(len(src), at+s.window)]
	m := reQuotedVersion.FindStringSubmatchIndex(w)
	if m == nil {
		return ""
	}
	if s.also != "" && !strings.Contains(w[m[1]:min(len(w), m[1]+120)], s.also) {
		return ""
	}
	return w[m[2]:m[3]]
}

// fromSourceMap names the node_modules sources; a source whose content
// travels with it (sourcesContent) may still carry its version constant.
func fromSourceMap(data []byte, f *found) {
	var m struct {
		Sources        []string `json:"sources"`
		SourcesContent []string `json:"sourcesContent"`
	}
	if json.Unmarshal(data, &m) != nil {
		return
	}
	for i, s := range m.Sources {
		name := packageOf(s)
		if name == "" {
			continue
		}
		if i < len(m.SourcesContent) {
			if v := versionConst(m.SourcesContent[i]); v != "" {
				f.note(name, v, EvidenceVersionConst)
			}
		}
		f.note(name, "", EvidenceSourceMap)
	}
}

var (
	reNPMName = regexp.MustCompile(`^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$`)
	// An SPDX expression as license-webpack-plugin writes it on the line
	// after the package name.
	reSPDX = regexp.MustCompile(`^\(?[A-Za-z0-9.+-]+(?: (?:OR|AND|WITH) [A-Za-z0-9.+-]+)*\)?$`)
)

// fromLicenses reads ncc's licenses.txt (license-webpack-plugin's format:
// name, SPDX line, license text, blank line between packages) and
// terser's *.js.LICENSE.txt (the kept banners).
func fromLicenses(src string, f *found) {
	for _, sm := range anchoredAll(src, reBanner, "/*!", "@license") {
		f.note(strings.ToLower(sm[1]), sm[2], EvidenceBanner)
	}
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i := 0; i+1 < len(lines); i++ {
		if i > 0 && strings.TrimSpace(lines[i-1]) != "" {
			continue
		}
		name, lic := strings.TrimSpace(lines[i]), strings.TrimSpace(lines[i+1])
		if len(name) > 214 || !reNPMName.MatchString(name) || lic == "" || len(lic) > 80 || !reSPDX.MatchString(lic) {
			continue
		}
		f.note(name, "", EvidenceLicensesTxt)
	}
}

// fromMetafile reads an esbuild metafile ({"inputs","outputs"}) or webpack
// stats ({"modules"} or {"chunks"}): module paths name packages, never
// versions. It returns the bundler, or "" for other JSON.
func fromMetafile(data []byte, f *found) string {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return ""
	}
	bundler := ""
	switch {
	case top["inputs"] != nil && top["outputs"] != nil:
		bundler = "esbuild"
	case top["modules"] != nil || top["chunks"] != nil:
		bundler = "webpack"
	default:
		return ""
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if name := packageOf(k); name != "" {
					f.note(name, "", EvidenceMetafile)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			if name := packageOf(x); name != "" {
				f.note(name, "", EvidenceMetafile)
			}
		}
	}
	for _, k := range []string{"inputs", "modules", "chunks"} {
		if raw := top[k]; raw != nil {
			var v any
			if json.Unmarshal(raw, &v) == nil {
				walk(v)
			}
		}
	}
	return bundler
}
