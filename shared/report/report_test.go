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
	assert.True(t, r.AtOrAbove("critical"))
	r.Findings = r.Findings[:1]
	assert.False(t, r.AtOrAbove("critical"))
	assert.True(t, r.AtOrAbove("medium"))
	r.Findings[0].Severity = match.Severity{Level: "unknown"}
	assert.True(t, r.AtOrAbove("low"), "unknown severity counts as low")
	assert.False(t, r.AtOrAbove("medium"))
}

func TestTableSortsBySeverity(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, report.Write(&b, sample(), report.FormatTable))
	out := b.String()
	crit, high := strings.Index(out, "CRITICAL"), strings.Index(out, "HIGH")
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
