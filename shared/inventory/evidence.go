package inventory

import (
	"github.com/google/osv-scalibr/extractor"
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

	"github.com/lambdascan/lambdascan/shared/inventory/extract/bundledjs"
	"github.com/lambdascan/lambdascan/shared/inventory/extract/jarmanifest"
	"github.com/lambdascan/lambdascan/shared/inventory/extract/pomprops"
)

// Evidence kinds: what a package's presence (and version) rests on.
// Bundled packages say "bundle:<how>" (bundledjs's evidence kinds) and
// manifest-identified jars "jar-manifest:<headers>".
const (
	EvidenceInstalled = "installed" // installed metadata: node_modules/<name>/package.json, dist-info, gemspec
	EvidenceDepsJSON  = "deps.json" // .NET publish output's dependency manifest
	EvidenceLockfile  = "lockfile"  // a lockfile entry
	EvidenceManifest  = "manifest"  // a pinned requirement (requirements.txt)
	EvidenceBinary    = "binary"    // build info inside an executable
	EvidenceJarPom    = "jar-pom"   // pom.properties inside a jar
	EvidencePomProps  = "pom.properties"
	EvidenceOSPackage = "os-package-db" // dpkg, apk, rpm databases (images)
)

var pluginEvidence = map[string]string{
	packagejson.Name: EvidenceInstalled, wheelegg.Name: EvidenceInstalled, gemspec.Name: EvidenceInstalled,
	depsjson.Name:        EvidenceDepsJSON,
	packagelockjson.Name: EvidenceLockfile, yarnlock.Name: EvidenceLockfile, pnpmlock.Name: EvidenceLockfile,
	poetrylock.Name: EvidenceLockfile, pipfilelock.Name: EvidenceLockfile, uvlock.Name: EvidenceLockfile,
	gemfilelock.Name: EvidenceLockfile, cargolock.Name: EvidenceLockfile, composerlock.Name: EvidenceLockfile,
	requirements.Name: EvidenceManifest,
	gobinary.Name:     EvidenceBinary, cargoauditable.Name: EvidenceBinary,
	javaarchive.Name: EvidenceJarPom,
	pomprops.Name:    EvidencePomProps,
	"os/dpkg":        EvidenceOSPackage, "os/apk": EvidenceOSPackage, "os/rpm": EvidenceOSPackage,
}

// evidenceOf names what the package rests on, from its extractor and, for
// our own extractors, the metadata they record.
func evidenceOf(p *extractor.Package) []string {
	switch m := p.Metadata.(type) {
	case *bundledjs.Metadata:
		out := make([]string, 0, len(m.Evidence))
		for _, e := range m.Evidence {
			out = append(out, "bundle:"+e)
		}
		return out
	case *jarmanifest.Metadata:
		ev := "jar-manifest"
		for i, h := range m.Evidence {
			if i == 0 {
				ev += ":" + h
			} else {
				ev += "+" + h
			}
		}
		return []string{ev}
	}
	var out []string
	for _, pl := range p.Plugins {
		e, ok := pluginEvidence[pl]
		if !ok {
			e = "extractor:" + pl
		}
		out = union(out, []string{e})
	}
	return out
}

// extractorsOf names the extractors that found p: a manifest-identified
// jar comes through the combined jar extractor (jars.go) under osv-scalibr's
// name, but was found by jarmanifest.
func extractorsOf(p *extractor.Package) []string {
	if _, ok := p.Metadata.(*jarmanifest.Metadata); ok {
		return []string{jarmanifest.Name}
	}
	return append([]string(nil), p.Plugins...)
}

func isBundled(p *extractor.Package) bool {
	_, ok := p.Metadata.(*bundledjs.Metadata)
	return ok
}

// pluginPURL: our extractors' packages whose PURL osv-scalibr cannot build
// from their metadata.
func pluginPURL(p *extractor.Package) string {
	if m, ok := p.Metadata.(*jarmanifest.Metadata); ok {
		return m.PURL(p.Version)
	}
	return ""
}

// declaredOnly: every piece of evidence is a lockfile or a manifest.
func declaredOnly(ev []string) bool {
	for _, e := range ev {
		if e != EvidenceLockfile && e != EvidenceManifest {
			return false
		}
	}
	return len(ev) > 0
}

// installedEvidence: evidence that the package is on disk as it runs.
// Bundles are not an installed tree: a bundle ships only what it inlined,
// so it does not tell which lockfile entries shipped.
func installedEvidence(ev []string) bool {
	for _, e := range ev {
		switch e {
		case EvidenceInstalled, EvidenceDepsJSON, EvidenceBinary:
			return true
		}
	}
	return false
}
