package inventory

import (
	"path"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	javaarchive "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	archivemeta "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive/metadata"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"

	"github.com/lambdascan/lambdascan/shared/ecosystem"
)

// Only what ships, and everything that ships: an extractor's package is
// reported when the deployed code holds it. What is left out is kept in
// Result.Dropped with the reason, so the choice can be checked.

// Reasons a package is dropped.
const (
	// DropDevOnly: a lockfile's development-only entry (package-lock.json
	// and pnpm's dev, Pipfile.lock's develop, composer's packages-dev): not
	// deployed (npm ci --omit=dev); if it was installed, its installed
	// metadata reports it.
	DropDevOnly = "dev-only"
	// DropNotInstalled: named only by a lockfile or manifest while the
	// source has an installed tree for its ecosystem that lacks it (yarn
	// v1's yarn.lock lists the dev tree too).
	DropNotInstalled = "not-installed"
	// DropNotAPackage: a package.json that is not node_modules/<name>/ or
	// node_modules/@scope/<name>/package.json: a package's test fixtures
	// and examples.
	DropNotAPackage = "not-a-package"
	// DropOwnManifest: the function's (or layer's) own package.json;
	// reporting it would match unrelated public packages of that name.
	DropOwnManifest = "own-manifest"
	// DropGuessedCoordinates: osv-scalibr's coordinates for a jar without
	// pom.properties, guessed from its manifest; jarmanifest identifies
	// such jars or names them unidentified.
	DropGuessedCoordinates = "guessed-coordinates"
)

// Dropped is a package an extractor named that the inventory leaves out.
type Dropped struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	Path      string `json:"path"`
	Reason    string `json:"reason"`
}

// notShipped gives the reason to drop p before conversion, or "".
func notShipped(p *extractor.Package) string {
	if len(p.Plugins) == 0 {
		return ""
	}
	switch p.Plugins[0] {
	case packagejson.Name:
		loc := p.Location.PathOrEmpty()
		if !strings.Contains("/"+loc, "/node_modules/") {
			return DropOwnManifest
		}
		if !installedPackageJSON(loc) {
			return DropNotAPackage
		}
	case javaarchive.Name:
		if _, ok := p.Metadata.(*archivemeta.Metadata); ok && !fromPom(p) {
			return DropGuessedCoordinates
		}
	}
	if pluginEvidence[p.Plugins[0]] == EvidenceLockfile && isDevOnly(p) {
		return DropDevOnly
	}
	return ""
}

// installedPackageJSON: the path is node_modules/<name>/package.json or
// node_modules/@scope/<name>/package.json, nested node_modules (and pnpm's
// .pnpm store) included, with nothing between one package and the next
// node_modules.
func installedPackageJSON(p string) bool {
	segs := strings.Split(p, "/")
	i := 0
	for i < len(segs) && segs[i] != "node_modules" {
		i++
	}
	rest := segs[i:]
	for {
		if len(rest) == 0 || rest[0] != "node_modules" {
			return false
		}
		rest = rest[1:]
		if len(rest) > 2 && rest[0] == ".pnpm" {
			// pnpm's store: node_modules/.pnpm/<name>@<version>/node_modules/<name>
			rest = rest[2:]
			continue
		}
		if len(rest) > 0 && strings.HasPrefix(rest[0], "@") {
			rest = rest[1:]
		}
		if len(rest) < 2 || rest[0] == "" || rest[0][0] == '.' {
			return false // node_modules/.bin, node_modules/.package-lock.json
		}
		rest = rest[1:]
		if len(rest) == 1 {
			return rest[0] == "package.json"
		}
	}
}

// fromPom: osv-scalibr's jar package was read from a pom.properties (or
// pom.xml) somewhere on its location chain, not guessed.
func fromPom(p *extractor.Package) bool {
	for _, l := range append([]string{p.Location.PathOrEmpty()}, relatedPaths(p)...) {
		if b := path.Base(l); b == "pom.properties" || b == "pom.xml" {
			return true
		}
	}
	return false
}

func relatedPaths(p *extractor.Package) []string {
	var out []string
	for _, l := range p.Location.Related {
		out = append(out, l.PathOrEmpty())
	}
	return out
}

func isDevOnly(p *extractor.Package) bool {
	type depGroups interface{ DepGroups() []string }
	dg, ok := p.Metadata.(depGroups)
	if !ok {
		return false
	}
	groups := dg.DepGroups()
	return len(groups) == 1 && groups[0] == "dev"
}

// classify applies the installed-tree rule to one source's merged
// packages: where an ecosystem has an installed tree, a package only a
// lockfile or manifest names is not shipped; where it has none, such a
// package is reported as declared.
func classify(pkgs []Package) ([]Package, []Dropped) {
	type key struct{ eco, name, version string }
	keyOf := func(p Package) key { return key{p.Ecosystem, ecosystem.NormalizeName(p.Ecosystem, p.Name), p.Version} }
	installedEco := map[string]bool{}
	installedAt := map[key]int{}
	for i, p := range pkgs {
		if installedEvidence(p.Evidence) {
			installedEco[p.Ecosystem] = true
			if _, ok := installedAt[keyOf(p)]; !ok {
				installedAt[keyOf(p)] = i
			}
		}
	}
	drop := make([]bool, len(pkgs))
	var dropped []Dropped
	for i := range pkgs {
		p := &pkgs[i]
		if !declaredOnly(p.Evidence) {
			continue
		}
		if j, ok := installedAt[keyOf(*p)]; ok {
			// Installed in another image layer than its lockfile: one package.
			q := &pkgs[j]
			q.Paths = union(q.Paths, p.Paths)
			q.Evidence = union(q.Evidence, p.Evidence)
			q.Extractors = union(q.Extractors, p.Extractors)
			drop[i] = true
			continue
		}
		if installedEco[p.Ecosystem] {
			dropped = append(dropped, dropOf(*p, DropNotInstalled))
			drop[i] = true
			continue
		}
		p.Declared = true
	}
	kept := make([]Package, 0, len(pkgs))
	for i, p := range pkgs {
		if !drop[i] {
			kept = append(kept, p)
		}
	}
	return kept, dropped
}

func dropOf(p Package, reason string) Dropped {
	d := Dropped{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version, Reason: reason}
	if len(p.Paths) > 0 {
		d.Path = p.Paths[0]
	}
	return d
}

// foldBundled: a bundled package seen without a version (a module path,
// a sourcemap) joins its versioned sighting (a version constant) from the
// same origin, even in another file; two versions stay two packages.
func foldBundled(pkgs []Package) []Package {
	type key struct{ name, kind, layer string }
	versioned := map[key]int{}
	for i, p := range pkgs {
		k := key{ecosystem.NormalizeName(p.Ecosystem, p.Name), p.Origin.Kind, p.Origin.Layer}
		if _, ok := versioned[k]; p.Bundled && p.Version != "" && !ok {
			versioned[k] = i
		}
	}
	skip := make([]bool, len(pkgs))
	for i, p := range pkgs {
		k := key{ecosystem.NormalizeName(p.Ecosystem, p.Name), p.Origin.Kind, p.Origin.Layer}
		if j, ok := versioned[k]; ok && p.Bundled && p.Version == "" {
			q := &pkgs[j]
			q.Paths = union(q.Paths, p.Paths)
			q.Evidence = union(q.Evidence, p.Evidence)
			q.Extractors = union(q.Extractors, p.Extractors)
			skip[i] = true
		}
	}
	out := make([]Package, 0, len(pkgs))
	for i, p := range pkgs {
		if !skip[i] {
			out = append(out, p)
		}
	}
	return out
}
