package report_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report"
)

// hostile is what a package can put in its own metadata.
const hostile = `<script>document.title="pwned"</script><img src=x onerror="document.body.dataset.pwned=1">`

// hostileReport has a package whose name, version, path and advisory text
// carry markup, beside the sample's findings with KEV and reachability.
func hostileReport() *report.Report {
	r := sample()
	evil := inventory.Package{Ecosystem: "npm", Name: hostile, Version: `1.0.0"><b>x`, PURL: "pkg:npm/evil@1.0.0",
		Paths: []string{`/var/task/node_modules/</style><script>alert(1)</script>/package.json`}, Origin: inventory.Origin{Kind: "function"}}
	r.Packages = append(r.Packages, evil)
	r.Findings = append(r.Findings, match.Finding{ID: "GHSA-evil-0000-0000", Aliases: []string{"CVE-2099-0001", "CVE-2099-0001"},
		Summary: `<a href="javascript:alert(1)">click</a>`, URL: "javascript:alert(1)",
		Severity: match.Severity{Level: "medium", Score: 5}, FixedVersion: "1.0.1", Package: evil,
		KEV: &match.KEV{DateAdded: "2025-01-01"}})
	r.Findings[1].Reachability = &match.Reachability{Level: match.ReachSymbol}
	r.Summarize()
	return r
}

func renderHTML(t *testing.T, r *report.Report) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, report.Write(&b, r, report.FormatHTML))
	return b.String()
}

func TestHTMLEscapesEveryValue(t *testing.T) {
	out := renderHTML(t, hostileReport())
	assert.NotContains(t, out, "<script", "no script element, neither ours nor the package's")
	assert.NotContains(t, out, "<img")
	assert.NotContains(t, out, `href="javascript:`)
	assert.NotContains(t, out, `"><b>x`)
	assert.Contains(t, out, "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;")
	assert.Contains(t, out, "&lt;/style&gt;&lt;script&gt;alert(1)&lt;/script&gt;")
}

// One file: nothing is loaded from anywhere, and the policy forbids it.
func TestHTMLIsSelfContained(t *testing.T) {
	out := renderHTML(t, hostileReport())
	assert.Contains(t, out, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`)
	for _, re := range []string{`(?i)<[a-z][^>]*\ssrc=`, `(?i)<link`, `(?i)@import`, `(?i)url\(`, `(?i)<iframe`, `(?i)<object`} {
		assert.NotRegexp(t, regexp.MustCompile(re), out)
	}
}

func TestHTMLContents(t *testing.T) {
	out := renderHTML(t, hostileReport())
	for _, want := range []string{
		"function arn:aws:lambda:us-east-1:123456789012:function:orders (zip)", // target
		`<b class="status-complete">complete</b>`,
		`<span>In KEV</span><b>1</b>`, `<span>Reachable</span><b>1</b>`,
		`aria-label="findings by severity"`, // the chart
		"Maven org.apache.logging.log4j:log4j-core 2.14.1 → 2.15.0 fixes 1 (max critical, 1 reachable)",
		`<span class="badge kev"`, `<span class="badge reach" title="the binary links a vulnerable function">reachable</span>`,
		"layer arn:aws:lambda:us-east-1:123456789012:layer:java:1", // origin
		"CVE-2099-0001</td>", // aliases once
	} {
		assert.Contains(t, out, want)
	}
	assert.Equal(t, 1, strings.Count(out, "CVE-2099-0001"), "aliases once each")
	// Groups: the KEV package first, then by severity.
	kev, crit := strings.Index(out, "GHSA-evil-0000-0000"), strings.Index(out, "GHSA-jfh8-c2jp-5v3q")
	assert.Less(t, kev, crit)
}
