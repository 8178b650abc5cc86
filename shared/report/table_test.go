package report_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report"
)

// goBinary is a Go function with many stdlib findings, two of them
// reachable and one in KEV, and a pseudo-versioned module.
func goBinary() *report.Report {
	stdlib := inventory.Package{Ecosystem: "Go", Name: "stdlib", Version: "1.20.14", Paths: []string{"/var/task/bootstrap"}, Origin: inventory.Origin{Kind: "function"}}
	xnet := inventory.Package{Ecosystem: "Go", Name: "golang.org/x/net", Version: "0.0.0-20210226172049-e18ecbb05110", Paths: []string{"/var/task/bootstrap"}, Origin: inventory.Origin{Kind: "function"}}
	r := &report.Report{Header: report.Header{Schema: report.SchemaVersion, Target: report.Target{Kind: "zip", Path: "go.zip"}, Status: report.StatusComplete},
		Packages: []inventory.Package{stdlib, xnet}}
	for i := 0; i < 70; i++ {
		f := match.Finding{ID: fmt.Sprintf("GO-2024-%04d", 2000+i), Aliases: []string{fmt.Sprintf("CVE-2024-%05d", 10000+i)},
			Severity: match.Severity{Level: "unknown"}, FixedVersion: fmt.Sprintf("1.%d.%d", 21+i%3, i%9), Package: stdlib}
		switch i {
		case 3:
			f.Severity = match.Severity{Level: "high", Score: 7.5, Source: "nvd:CVE-2024-10003"}
			f.Reachability = &match.Reachability{Level: match.ReachSymbol, Symbols: []string{"net/http.Serve"}}
		case 4:
			f.Reachability = &match.Reachability{Level: match.ReachSymbol}
			f.KEV = &match.KEV{DateAdded: "2025-01-01"}
		case 5:
			f.Reachability = &match.Reachability{Level: match.ReachPackage}
		}
		r.Findings = append(r.Findings, f)
	}
	r.Findings = append(r.Findings, match.Finding{ID: "GO-2022-0969", Aliases: []string{"CVE-2022-27664", "GHSA-69cg-p879-7622", "CVE-2022-27664"},
		Severity: match.Severity{Level: "medium", Score: 5.3}, FixedVersion: "0.0.0-20220906165146-f3363e06e74c", Package: xnet})
	r.Summarize()
	return r
}

func table(t *testing.T, r *report.Report, opt report.TableOptions) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, report.WriteTableWith(&b, r, opt))
	return b.String()
}

func TestTableGroupsByPackage(t *testing.T) {
	out := table(t, goBinary(), report.TableOptions{})
	lines := strings.Split(out, "\n")
	assert.Equal(t, "zip go.zip", lines[0], "the target line says what was read")
	assert.Contains(t, out, "\nGo stdlib 1.20.14 → 1.23.8 fixes 70 (max high, 2 reachable, 1 KEV)  /var/task/bootstrap\n")
	// KEV and reachable findings come first; three rows, then one folded line.
	assert.Regexp(t, `/var/task/bootstrap\n  UNKNOWN +- +KEV reach:symbol +GO-2024-2004 +CVE-2024-10004 +→ 1\.22\.4\n  HIGH +7\.5 +reach:symbol +GO-2024-2003 `, out)
	assert.Contains(t, out, "\n  … 67 more (67 unknown): GO-2024-")
	assert.Less(t, len(lines), 16, "71 findings fit in a few lines")
	// Pseudo-versions are shortened; aliases appear once each.
	assert.Contains(t, out, "Go golang.org/x/net 0.0.0-202102…18ecbb05110 → 0.0.0-202209…3363e06e74c fixes 1 (max medium)")
	assert.Contains(t, out, " CVE-2022-27664,GHSA-69cg-p879-7622 ")
	assert.Equal(t, 1, strings.Count(out, "CVE-2022-27664"))
	assert.Contains(t, out, "\n2 packages, 71 findings (1 high, 1 medium, 69 unknown), 1 in KEV, 2 reachable\n")
	assert.NotContains(t, out, "\x1b[")
}

func TestTableColourAndWidth(t *testing.T) {
	out := table(t, goBinary(), report.TableOptions{Color: true, Width: 100})
	assert.Contains(t, out, "\x1b[31mHIGH    \x1b[0m", "severity in colour")
	assert.Contains(t, out, "\x1b[1;35mKEV reach:symbol\x1b[0m")
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		plain := strings.NewReplacer("\x1b[0m", "", "\x1b[1m", "", "\x1b[2m", "", "\x1b[31m", "", "\x1b[1;31m", "", "\x1b[33m", "", "\x1b[36m", "", "\x1b[1;35m", "").Replace(l)
		assert.LessOrEqual(t, len([]rune(plain)), 100, l)
	}
	assert.Contains(t, out, "… 67 more (67 unknown): GO-2024-")
}

func TestTableQuiet(t *testing.T) {
	out := table(t, goBinary(), report.TableOptions{Quiet: true})
	assert.True(t, strings.HasPrefix(out, "Go stdlib 1.20.14"), out)
	assert.NotContains(t, out, "status:")
	r := goBinary()
	r.Findings = nil
	r.Summarize()
	assert.Empty(t, table(t, r, report.TableOptions{Quiet: true}))
}

func TestLayerZipAloneIsNamed(t *testing.T) {
	r := &report.Report{Header: report.Header{Target: report.Target{Kind: "zip", Path: "layer.zip"}},
		Packages: []inventory.Package{{Name: "PyYAML", Origin: inventory.Origin{Kind: "layer", Layer: "layer.zip"}}}}
	assert.Equal(t, "layer zip layer.zip", r.Describe())
	r.Packages[0].Origin = inventory.Origin{Kind: "function"}
	assert.Equal(t, "zip layer.zip", r.Describe())
}

func TestTargetDescribe(t *testing.T) {
	for _, tc := range []struct {
		t    report.Target
		want string
	}{
		{report.Target{Kind: "zip", Path: "app.zip"}, "zip app.zip"},
		{report.Target{Kind: "zip", Path: "app.zip", Layers: []report.Layer{{ARN: "l.zip"}}}, "zip app.zip + layer zip l.zip"},
		{report.Target{Kind: "layer", Layers: []report.Layer{{ARN: "l.zip"}}}, "layer zip l.zip"},
		{report.Target{Kind: "layer", Layers: []report.Layer{{ARN: "arn:aws:lambda:eu-west-1:1:layer:x:2"}}}, "layer arn:aws:lambda:eu-west-1:1:layer:x:2"},
		{report.Target{Kind: "directory", Path: "src/"}, "directory src/"},
		{report.Target{Kind: "image", Image: &report.Image{Ref: "python:3.12", Platform: "linux/arm64"}}, "image python:3.12 (linux/arm64)"},
		{report.Target{Kind: "function", FunctionARN: "arn:aws:lambda:eu-west-1:1:function:f", Layers: []report.Layer{{ARN: "arn:a"}, {ARN: "arn:b"}}}, "function arn:aws:lambda:eu-west-1:1:function:f (zip + 2 layers)"},
		{report.Target{Kind: "function", FunctionARN: "arn:aws:lambda:eu-west-1:1:function:f", Image: &report.Image{Ref: "1.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:abc"}}, "function arn:aws:lambda:eu-west-1:1:function:f, image 1.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:abc"},
	} {
		assert.Equal(t, tc.want, report.DescribeTarget(tc.t))
	}
}

// A package name carrying a terminal escape is printed inert.
func TestTableEscapesControlCharacters(t *testing.T) {
	r := goBinary()
	r.Findings[0].Package.Name = "evil\x1b]0;pwned\x07\x1b[2J"
	var buf bytes.Buffer
	require.NoError(t, report.WriteTable(&buf, r))
	assert.NotContains(t, buf.String(), "\x1b")
	assert.NotContains(t, buf.String(), "\x07")
}
