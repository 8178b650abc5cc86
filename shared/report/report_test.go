package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

func sample() *report.Report {
	lodash := inventory.Package{Ecosystem: "npm", Name: "lodash", Version: "4.17.15", PURL: "pkg:npm/lodash@4.17.15",
		Paths: []string{"/var/task/node_modules/lodash/package.json"}, Origin: inventory.Origin{Kind: "function"}}
	log4j := inventory.Package{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1",
		PURL: "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", Paths: []string{"/opt/java/lib/log4j-core-2.14.1.jar"},
		Origin: inventory.Origin{Kind: "layer", Layer: "arn:aws:lambda:us-east-1:123456789012:layer:java:1"}}
	r := &report.Report{
		Header: report.Header{
			Schema:  report.SchemaVersion,
			Target:  report.Target{Kind: "function", FunctionARN: "arn:aws:lambda:us-east-1:123456789012:function:orders", CodeSha256: "abc=", Runtime: "nodejs20.x"},
			Scanner: report.Scanner{Name: "lambdascan", Version: "test"},
			DB:      report.DB{Version: "20261101T000000Z-0123456789ab"},
			Timings: report.Timings{StartedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
			Status:  report.StatusComplete,
		},
		Packages: []inventory.Package{lodash, log4j},
		Findings: []match.Finding{
			{ID: "GHSA-p6mc-m468-83gw", Aliases: []string{"CVE-2020-8203"}, Severity: match.Severity{Level: "high", Score: 7.4, Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}, FixedVersion: "4.17.19", Package: lodash},
			{ID: "GHSA-jfh8-c2jp-5v3q", Aliases: []string{"CVE-2021-44228"}, Severity: match.Severity{Level: "critical", Score: 10, Type: "CVSS_V3", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}, FixedVersion: "2.15.0", Package: log4j},
		},
	}
	r.Summarize()
	return r
}

func TestSummaryAndThreshold(t *testing.T) {
	r := sample()
	assert.Equal(t, 2, r.Summary.Findings)
	assert.Equal(t, 1, r.Summary.BySeverity["critical"])
	assert.Equal(t, 0, r.Summary.BySeverity["low"], "every level is present, zero or not")
	assert.Equal(t, "critical", r.Summary.MaxSeverity)
	assert.True(t, r.AtOrAbove("critical", false))
	r.Findings = r.Findings[:1]
	assert.False(t, r.AtOrAbove("critical", false))
	assert.True(t, r.AtOrAbove("medium", false))
}

// --fail-on LEVEL fails on an unknown finding at every level, unless
// --ignore-unknown.
func TestFailOnCountsUnknown(t *testing.T) {
	r := sample()
	r.Findings = r.Findings[:1]
	r.Findings[0].Severity = match.Severity{Level: "unknown"}
	for _, level := range []string{"low", "medium", "high", "critical"} {
		assert.True(t, r.AtOrAbove(level, false), "--fail-on %s with an unknown finding", level)
		assert.False(t, r.AtOrAbove(level, true), "--fail-on %s --ignore-unknown with an unknown finding", level)
	}
	// --ignore-unknown leaves rated findings counted.
	r.Findings = append(r.Findings, sample().Findings[0]) // high
	assert.True(t, r.AtOrAbove("high", true))
	assert.False(t, r.AtOrAbove("critical", true))

	// The workflow decides from counts the same way.
	assert.True(t, schema.CountsAtOrAbove(map[string]int{"unknown": 3, "low": 0}, "high", false))
	assert.False(t, schema.CountsAtOrAbove(map[string]int{"unknown": 3, "low": 1}, "high", true))
	assert.False(t, schema.CountsAtOrAbove(map[string]int{"critical": 0, "medium": 1}, "high", false))
}

func TestFindingsTag(t *testing.T) {
	r := sample()
	r.Findings = append(r.Findings,
		match.Finding{ID: "GO-1", Severity: match.Severity{Level: "unknown"}},
		match.Finding{ID: "GO-2", Severity: match.Severity{Level: "unknown"}, KEV: &match.KEV{DateAdded: "2024-01-01"}},
		match.Finding{ID: "GO-3", Severity: match.Severity{Level: "medium"}})
	r.Summarize()
	assert.Equal(t, "C1-H1-M1-L0-U2-K1", schema.FindingsTag(r.Summary.BySeverity, r.Summary.KEV))
	assert.Equal(t, 1, r.Summary.KEV)
	assert.Equal(t, []string{"GO-2 @"}, r.KEVNames())
	// The worst case stays a valid Lambda tag value.
	tag := schema.FindingsTag(map[string]int{"critical": 9999999, "high": 9999999, "medium": 9999999, "low": 9999999, "unknown": 9999999}, 9999999)
	assert.LessOrEqual(t, len(tag), 256)
	assert.Regexp(t, `^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`, tag)
}

func TestSeverityFilterIsASet(t *testing.T) {
	levels, err := report.ParseSeverities("critical, UNKNOWN")
	require.NoError(t, err)
	r := sample()
	r.Findings = append(r.Findings, match.Finding{ID: "GO-1", Severity: match.Severity{Level: "unknown"}})
	r.FilterSeverity(levels)
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.ID)
	}
	// trivy's semantics: exactly the listed levels, not a threshold (high is out).
	assert.ElementsMatch(t, []string{"GHSA-jfh8-c2jp-5v3q", "GO-1"}, ids)
	assert.Equal(t, 2, r.Summary.Findings)
	require.Len(t, r.Notes, 1)
	assert.Contains(t, r.Notes[0], "1 findings")
	_, err = report.ParseSeverities("HIGH,severe")
	assert.ErrorContains(t, err, "severe")
	none, err := report.ParseSeverities("")
	assert.NoError(t, err)
	assert.Nil(t, none)
}

func TestOnlyReachable(t *testing.T) {
	reach := func(l string) *match.Reachability { return &match.Reachability{Level: l} }
	gopkg := inventory.Package{Ecosystem: "Go", Name: "stdlib", Version: "1.20.14"}
	r := sample()
	r.Findings = append(r.Findings,
		match.Finding{ID: "GO-S", Package: gopkg, Reachability: reach(match.ReachSymbol)},
		match.Finding{ID: "GO-P", Package: gopkg, Reachability: reach(match.ReachPackage)},
		match.Finding{ID: "GO-M", Package: gopkg, Reachability: reach(match.ReachModule)},
		match.Finding{ID: "GO-U", Package: gopkg, Reachability: reach(match.ReachUnknown)},
		match.Finding{ID: "GO-none", Package: gopkg})
	r.OnlyReachable()
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.ID)
	}
	assert.ElementsMatch(t, []string{"GHSA-p6mc-m468-83gw", "GHSA-jfh8-c2jp-5v3q", "GO-S"}, ids)
	require.Len(t, r.Notes, 1)
	assert.Equal(t, "--only-reachable: 4 Go findings below symbol level not shown (package 1, module 1, unknown 2)", r.Notes[0])
	assert.Equal(t, 3, r.Summary.Findings)
}

func TestTableSortsBySeverity(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, report.Write(&b, sample(), report.FormatTable))
	out := b.String()
	crit, high := strings.Index(out, "\n  CRITICAL"), strings.Index(out, "\n  HIGH")
	require.True(t, crit > 0 && high > 0, out)
	assert.Less(t, crit, high)
	assert.Contains(t, out, "status: complete")
	assert.Contains(t, out, "/opt/java/lib/log4j-core-2.14.1.jar")
}

func TestJSONRoundTrip(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, report.Write(&b, sample(), report.FormatJSON))
	var back report.Report
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, report.SchemaVersion, back.Schema)
	assert.Equal(t, sample().Findings, back.Findings)
}

func TestSARIF(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, report.Write(&b, sample(), report.FormatSARIF))
	var doc struct {
		Version string `json:"version"`
		Schema  string `json:"$schema"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID         string         `json:"id"`
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, "2.1.0", doc.Version)
	require.Len(t, doc.Runs, 1)
	assert.Len(t, doc.Runs[0].Tool.Driver.Rules, 2)
	assert.Equal(t, "10.0", doc.Runs[0].Tool.Driver.Rules[1].Properties["security-severity"])
	require.Len(t, doc.Runs[0].Results, 2)
	assert.Equal(t, "error", doc.Runs[0].Results[0].Level)
	assert.Equal(t, "var/task/node_modules/lodash/package.json", doc.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI)

	// Unknown is a warning (never the quieter note of low), with no
	// made-up security-severity.
	r := sample()
	r.Findings = []match.Finding{{ID: "GO-2024-0001", Severity: match.Severity{Level: "unknown"}, Package: r.Findings[0].Package},
		{ID: "GHSA-low", Severity: match.Severity{Level: "low", Score: 2}, Package: r.Findings[0].Package}}
	b.Reset()
	require.NoError(t, report.Write(&b, r, report.FormatSARIF))
	doc.Runs = nil
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, "warning", doc.Runs[0].Results[0].Level)
	assert.NotContains(t, doc.Runs[0].Tool.Driver.Rules[0].Properties, "security-severity")
	assert.Equal(t, "note", doc.Runs[0].Results[1].Level)
}

func TestCycloneDX(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, report.Write(&b, sample(), report.FormatCycloneDX))
	var bom struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		Components  []struct {
			BOMRef string `json:"bom-ref"`
			Name   string `json:"name"`
			PURL   string `json:"purl"`
		} `json:"components"`
		Vulnerabilities []struct {
			ID      string `json:"id"`
			Affects []struct {
				Ref string `json:"ref"`
			} `json:"affects"`
			Ratings []struct {
				Score    float64 `json:"score"`
				Severity string  `json:"severity"`
				Method   string  `json:"method"`
			} `json:"ratings"`
		} `json:"vulnerabilities"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &bom))
	assert.Equal(t, "CycloneDX", bom.BOMFormat)
	assert.Equal(t, "1.6", bom.SpecVersion)
	require.Len(t, bom.Components, 2)
	assert.Equal(t, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", bom.Components[1].PURL)
	require.Len(t, bom.Vulnerabilities, 2)
	refs := map[string]bool{}
	for _, c := range bom.Components {
		refs[c.BOMRef] = true
	}
	for _, v := range bom.Vulnerabilities {
		require.Len(t, v.Affects, 1)
		assert.True(t, refs[v.Affects[0].Ref], "vulnerability %s points at a component", v.ID)
	}
	assert.Equal(t, "CVSSv31", bom.Vulnerabilities[1].Ratings[0].Method)
	assert.Equal(t, "critical", bom.Vulnerabilities[1].Ratings[0].Severity)
}

func TestSPDX(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, report.Write(&b, sample(), report.FormatSPDX))
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Name        string `json:"name"`
		Packages    []struct {
			Name         string `json:"name"`
			Version      string `json:"versionInfo"`
			ExternalRefs []struct {
				Type    string `json:"referenceType"`
				Locator string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, "SPDX-2.3", doc.SPDXVersion)
	var purls []string
	for _, p := range doc.Packages {
		for _, r := range p.ExternalRefs {
			if r.Type == "purl" {
				purls = append(purls, r.Locator)
			}
		}
	}
	assert.ElementsMatch(t, []string{"pkg:npm/lodash@4.17.15", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}, purls)
	assert.Equal(t, "arn:aws:lambda:us-east-1:123456789012:function:orders", doc.Packages[0].Name)
}

func TestUnknownFormat(t *testing.T) {
	assert.Error(t, report.Write(&bytes.Buffer{}, sample(), "xml"))
}

func TestGroupsRiskOrder(t *testing.T) {
	std := inventory.Package{Ecosystem: "Go", Name: "stdlib", Version: "1.20.14", Paths: []string{"/var/task/bootstrap"}}
	gin := inventory.Package{Ecosystem: "Go", Name: "github.com/gin-gonic/gin", Version: "1.9.0", Paths: []string{"/var/task/bootstrap"}}
	sym := &match.Reachability{Level: match.ReachSymbol}
	fs := []match.Finding{
		{ID: "GO-1", Package: std, Severity: match.Severity{Level: "medium"}, FixedVersion: "1.21.11"},
		{ID: "GO-2", Package: std, Severity: match.Severity{Level: "high", Score: 7.5}, FixedVersion: "1.23.12", Reachability: sym},
		{ID: "GO-3", Package: std, Severity: match.Severity{Level: "unknown"}, FixedVersion: "1.22.9", Reachability: sym},
		{ID: "GO-4", Package: std, Severity: match.Severity{Level: "low"}},
		{ID: "GO-5", Package: gin, Severity: match.Severity{Level: "medium"}, FixedVersion: "1.9.1", KEV: &match.KEV{DateAdded: "2024-01-01"}},
	}
	gs := report.Groups(&report.Report{Findings: fs})
	require.Len(t, gs, 2)
	// The KEV finding makes gin the riskiest package.
	assert.Equal(t, "github.com/gin-gonic/gin", gs[0].Package.Name)
	assert.Equal(t, 1, gs[0].KEV)
	s := gs[1]
	assert.Equal(t, "1.23.12", s.Upgrade)
	assert.Equal(t, 3, s.Fixes)
	assert.Equal(t, "high", s.Max)
	assert.Equal(t, 2, s.Reachable)
	var ids []string
	for _, f := range s.Findings {
		ids = append(ids, f.ID)
	}
	assert.Equal(t, []string{"GO-2", "GO-3", "GO-1", "GO-4"}, ids, "risk order inside the group")
}
