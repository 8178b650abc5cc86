package report

import (
	"fmt"
	"io"
	"path"
	"strings"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/osv-scalibr/converter"
	scalibrspdx "github.com/google/osv-scalibr/converter/spdx"
	"github.com/google/osv-scalibr/extractor"
	archivemeta "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive/metadata"
	scalibrinv "github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/purl"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"

	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
)

// purlTypes maps OSV ecosystems to purl types for osv-scalibr's converter.
var purlTypes = map[string]string{
	"npm": purl.TypeNPM, "PyPI": purl.TypePyPi, "Go": purl.TypeGolang, "Maven": purl.TypeMaven,
	"RubyGems": purl.TypeGem, "NuGet": purl.TypeNuget, "crates.io": purl.TypeCargo, "Packagist": purl.TypeComposer,
}

// toScalibr rebuilds osv-scalibr packages from the report, so an SBOM can be
// made from any stored report, not only inside the process that scanned.
func toScalibr(pkgs []inventory.Package) scalibrinv.Inventory {
	var inv scalibrinv.Inventory
	for _, p := range pkgs {
		sp := &extractor.Package{
			Name:     p.Name,
			Version:  p.Version,
			PURLType: purlTypes[p.Ecosystem],
			Plugins:  p.Extractors,
		}
		if sp.PURLType == purl.TypeMaven {
			g, a, _ := strings.Cut(p.Name, ":")
			sp.Metadata = &archivemeta.Metadata{GroupID: g, ArtifactID: a}
		}
		if len(p.Paths) > 0 {
			sp.Location = extractor.LocationFromPath(strings.TrimPrefix(p.Paths[0], "/"))
		}
		inv.Packages = append(inv.Packages, sp)
	}
	return inv
}

func targetName(r *Report) string {
	if r.Target.FunctionARN != "" {
		return r.Target.FunctionARN
	}
	return path.Base(r.Target.Path)
}

// CycloneDX builds a CycloneDX BOM with components and vulnerabilities.
func CycloneDX(r *Report) *cyclonedx.BOM {
	bom := converter.ToCDX(toScalibr(r.Packages), converter.CDXConfig{
		ComponentName: targetName(r), ComponentVersion: r.Target.CodeSha256,
		ComponentType: string(cyclonedx.ComponentTypeApplication),
	})
	bom.Metadata.Timestamp = r.Timings.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
	*bom.Metadata.Tools.Components = append(*bom.Metadata.Tools.Components,
		cyclonedx.Component{Type: cyclonedx.ComponentTypeApplication, Name: r.Scanner.Name, Version: r.Scanner.Version})
	// Stable refs: the same package in two reports gets the same bom-ref.
	refs := map[string]string{}
	comps := *bom.Components
	for i := range comps {
		p := r.Packages[i]
		ref := fmt.Sprintf("%s|%s|%s", p.PURL, p.Origin.Kind, p.Origin.Layer)
		comps[i].BOMRef = ref
		refs[pkgKey(p)] = ref
		if p.PURL != "" {
			comps[i].PackageURL = p.PURL
		}
		props := []cyclonedx.Property{{Name: "lambdascan:origin", Value: p.Origin.Kind}}
		if p.Origin.Layer != "" {
			props = append(props, cyclonedx.Property{Name: "lambdascan:layer", Value: p.Origin.Layer})
		}
		if p.Bundled {
			props = append(props, cyclonedx.Property{Name: "lambdascan:bundled", Value: "true"})
		}
		comps[i].Properties = &props
	}
	vulns := make([]cyclonedx.Vulnerability, 0, len(r.Findings))
	for _, f := range r.Findings {
		v := cyclonedx.Vulnerability{
			BOMRef:      f.ID + "|" + refs[pkgKey(f.Package)],
			ID:          f.ID,
			Description: f.Summary,
			Source:      &cyclonedx.Source{Name: "OSV", URL: f.URL},
			Affects:     &[]cyclonedx.Affects{{Ref: refs[pkgKey(f.Package)]}},
		}
		var refsTo []cyclonedx.VulnerabilityReference
		for _, a := range f.Aliases {
			refsTo = append(refsTo, cyclonedx.VulnerabilityReference{ID: a, Source: &cyclonedx.Source{Name: "OSV"}})
		}
		if len(refsTo) > 0 {
			v.References = &refsTo
		}
		rating := cyclonedx.VulnerabilityRating{Severity: cdxSeverity(f.Severity.Level)}
		if f.Severity.Score > 0 {
			score := f.Severity.Score
			rating.Score = &score
			rating.Vector = f.Severity.Vector
			rating.Method = cdxMethod(f.Severity.Vector)
		}
		v.Ratings = &[]cyclonedx.VulnerabilityRating{rating}
		if f.FixedVersion != "" {
			v.Recommendation = "Upgrade to " + f.FixedVersion
		}
		vulns = append(vulns, v)
	}
	bom.Vulnerabilities = &vulns
	return bom
}

func pkgKey(p inventory.Package) string {
	return p.Ecosystem + "|" + p.Name + "|" + p.Version + "|" + p.Origin.Kind + "|" + p.Origin.Layer
}

func cdxSeverity(level string) cyclonedx.Severity {
	switch level {
	case match.LevelCritical:
		return cyclonedx.SeverityCritical
	case match.LevelHigh:
		return cyclonedx.SeverityHigh
	case match.LevelMedium:
		return cyclonedx.SeverityMedium
	case match.LevelLow:
		return cyclonedx.SeverityLow
	}
	return cyclonedx.SeverityUnknown
}

func cdxMethod(vector string) cyclonedx.ScoringMethod {
	switch {
	case strings.HasPrefix(vector, "CVSS:3.1"):
		return cyclonedx.ScoringMethodCVSSv31
	case strings.HasPrefix(vector, "CVSS:3.0"):
		return cyclonedx.ScoringMethodCVSSv3
	case strings.HasPrefix(vector, "CVSS:4.0"):
		return cyclonedx.ScoringMethodCVSSv4
	}
	return cyclonedx.ScoringMethodCVSSv2
}

// WriteCycloneDX writes CycloneDX 1.6 JSON.
func WriteCycloneDX(w io.Writer, r *Report) error {
	enc := cyclonedx.NewBOMEncoder(w, cyclonedx.BOMFileFormatJSON)
	enc.SetPretty(true)
	return enc.EncodeVersion(CycloneDX(r), cyclonedx.SpecVersion1_6)
}

// WriteSPDX writes an SPDX 2.3 JSON document.
func WriteSPDX(w io.Writer, r *Report) error {
	name := targetName(r)
	doc := converter.ToSPDX23(toScalibr(r.Packages), scalibrspdx.Config{
		DocumentName:      name,
		DocumentNamespace: "https://lambdascan.dev/spdx/" + strings.ReplaceAll(name, ":", "/") + "/" + r.Timings.StartedAt.UTC().Format("20060102T150405Z"),
		Creators:          []common.Creator{{CreatorType: "Tool", Creator: r.Scanner.Name + "-" + r.Scanner.Version}},
	})
	if len(doc.Packages) > 0 && doc.Packages[0].PackageName == "main" {
		doc.Packages[0].PackageName = name
	}
	doc.CreationInfo.Created = r.Timings.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
	return spdxjson.Write(doc, w, spdxjson.Indent("  "))
}
