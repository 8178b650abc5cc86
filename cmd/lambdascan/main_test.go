package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

const testdata = "../../testdata"

func lambdascan(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func testDB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "osv.lsdb")
	code, out, errs := lambdascan(t, "db", "build", "--from", filepath.Join(testdata, "osv"), "--out", db)
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "1 withdrawn skipped")
	return db
}

func TestScanExitCodes(t *testing.T) {
	db := testDB(t)
	pkg := func(n string) string { return filepath.Join(testdata, "packages", n) }
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"findings at default low", []string{"scan", "--db", db, pkg("node-api.zip")}, exitFindings},
		// python-requirements has two findings of unknown severity (no NVD data in this DB).
		{"unknown severity fails at low", []string{"scan", "--db", db, pkg("python-requirements.zip")}, exitFindings},
		{"unknown severity fails at critical", []string{"scan", "--db", db, "--fail-on", "critical", pkg("python-requirements.zip")}, exitFindings},
		{"unknown ignored", []string{"scan", "--db", db, "--fail-on", "low", "--ignore-unknown", pkg("python-requirements.zip")}, exitOK},
		{"filtered out by --severity", []string{"scan", "--db", db, "--severity", "CRITICAL,HIGH", pkg("python-requirements.zip")}, exitOK},
		{"bad --severity", []string{"scan", "--db", db, "--severity", "severe", pkg("node-api.zip")}, exitError},
		{"flags after target", []string{"scan", pkg("java-shaded.zip"), "--db", db, "--fail-on", "critical"}, exitFindings},
		{"directory target", []string{"scan", "--db", db, pkg("src/node-api")}, exitFindings},
		{"missing target", []string{"scan", "--db", db, pkg("nope.zip")}, exitError},
		{"not a zip", []string{"scan", "--db", db, pkg("src/node-api/index.js")}, exitError},
		{"bad fail-on", []string{"scan", "--db", db, "--fail-on", "severe", pkg("node-api.zip")}, exitError},
		{"bad format", []string{"scan", "--db", db, "--format", "xml", pkg("node-api.zip")}, exitError},
		{"no db", []string{"scan", "--db", filepath.Join(t.TempDir(), "none"), pkg("node-api.zip")}, exitError},
		{"no target", []string{"scan", "--db", db}, exitError},
		{"unknown command", []string{"frobnicate"}, exitError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := lambdascan(t, tc.args...)
			assert.Equal(t, tc.code, code, errs)
		})
	}
}

func TestScanFormatsAndOutput(t *testing.T) {
	db := testDB(t)
	target := filepath.Join(testdata, "packages", "python-requirements.zip")
	layer := filepath.Join(testdata, "packages", "layer-python-yaml.zip")
	for _, f := range report.Formats {
		t.Run(f, func(t *testing.T) {
			outFile := filepath.Join(t.TempDir(), "out")
			code, stdout, errs := lambdascan(t, "scan", "--db", db, "--format", f, "--output", outFile, "--layer", layer, "--fail-on", "medium", "--ignore-unknown", target)
			require.Equal(t, exitOK, code, errs)
			assert.Empty(t, stdout)
			b, err := os.ReadFile(outFile)
			require.NoError(t, err)
			switch f {
			case report.FormatTable:
				assert.Contains(t, string(b), "PyPI PyYAML 5.3 → 5.4 fixes 2 (max unknown)")
				return
			case report.FormatHTML:
				assert.Contains(t, string(b), "<!DOCTYPE html>")
				return
			}
			assert.True(t, json.Valid(b), "%s output is JSON", f)
		})
	}
	// The layer's packages are attributed to the layer and found under /opt.
	code, stdout, _ := lambdascan(t, "scan", "--db", db, "--format", "json", "--layer", layer, target)
	require.Equal(t, exitFindings, code)
	var r report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	var layerFindings int
	for _, f := range r.Findings {
		if f.Package.Origin.Kind == "layer" {
			layerFindings++
			assert.Equal(t, "layer-python-yaml.zip", f.Package.Origin.Layer)
			assert.True(t, strings.HasPrefix(f.Package.Paths[0], "/opt/python/"))
		}
	}
	assert.Equal(t, 2, layerFindings, "PyYAML 5.3: PYSEC-2020-96 and PYSEC-2021-142")
}

func TestBundleIsPartial(t *testing.T) {
	db := testDB(t)
	code, stdout, _ := lambdascan(t, "scan", "--db", db, "--format", "json", filepath.Join(testdata, "packages", "node-bundle.zip"))
	assert.Equal(t, exitFindings, code)
	var r report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	assert.Equal(t, report.StatusPartial, r.Status)
	require.NotEmpty(t, r.Reasons)
	assert.Contains(t, r.Reasons[0].Detail, "bundled: inventory may be incomplete")
	require.Len(t, r.Findings, 1)
	assert.Equal(t, "GHSA-cf4h-3jhx-xvhq", r.Findings[0].ID)
}

func TestDBInfo(t *testing.T) {
	db := testDB(t)
	code, out, errs := lambdascan(t, "db", "info", db)
	require.Equal(t, exitOK, code, errs)
	var info map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	assert.Regexp(t, `^\d{8}T\d{6}Z-[0-9a-f]{12}$`, info["version"])
}

// With the feeds beside the OSV data, the PyPI records without CVSS take
// NVD's rating of their CVE alias, and db info shows each feed.
func TestFeedsRateFindings(t *testing.T) {
	db := filepath.Join(t.TempDir(), "osv.lsdb")
	code, out, errs := lambdascan(t, "db", "build", "--from", filepath.Join(testdata, "osv"), "--from", filepath.Join(testdata, "feeds"), "--out", db)
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, out, "feed nvd: 6 records, dated 2026-11-01T10:00:00.000")
	assert.Contains(t, out, "feed kev: 2 records")
	assert.Contains(t, out, "feed epss: 2 records, dated 2026-11-01")

	code, out, errs = lambdascan(t, "db", "info", db)
	require.Equal(t, exitOK, code, errs)
	var info struct {
		Feeds map[string]struct {
			Date  string `json:"date"`
			Count int    `json:"count"`
		} `json:"feeds"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	assert.Equal(t, 2, info.Feeds["kev"].Count)
	assert.Equal(t, "2026-11-01T12:00:00.000Z", info.Feeds["kev"].Date)

	target := filepath.Join(testdata, "packages", "python-requirements.zip")
	code, out, errs = lambdascan(t, "scan", "--db", db, "--format", "json", "--fail-on", "critical", target)
	require.Equal(t, exitOK, code, "no unknown finding left, none critical: %s", errs)
	var r report.Report
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	got := map[string]string{}
	for _, f := range r.Findings {
		got[f.ID] = f.Severity.Level + " " + f.Severity.Source
	}
	assert.Equal(t, map[string]string{"PYSEC-2021-108": "high nvd:CVE-2021-33503", "PYSEC-2023-74": "medium nvd:CVE-2023-32681"}, got)
	// Riskiest first.
	assert.Equal(t, "PYSEC-2021-108", r.Findings[0].ID)
	// The report says how fresh the feeds were.
	assert.Equal(t, "2026-11-01T10:00:00.000", r.DB.Feeds["nvd"].Date)

	code, out, _ = lambdascan(t, "scan", "--db", db, "--format", "json", "--severity", "medium", target)
	require.Equal(t, exitFindings, code)
	r = report.Report{}
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Len(t, r.Findings, 1)
	assert.Equal(t, "PYSEC-2023-74", r.Findings[0].ID)
	assert.Contains(t, strings.Join(r.Notes, "\n"), "--severity MEDIUM: 1 findings of other severities not shown")
}

// db update fetches <base>/<Ecosystem>/all.zip over HTTP, as from the OSV bucket.
func TestDBUpdateOverHTTP(t *testing.T) {
	export := t.TempDir()
	recs, err := filepath.Glob(filepath.Join(testdata, "osv", "npm", "*.json"))
	require.NoError(t, err)
	var entries []archivetest.Entry
	for _, r := range recs {
		b, err := os.ReadFile(r)
		require.NoError(t, err)
		entries = append(entries, archivetest.Entry{Name: filepath.Base(r), Body: b})
	}
	require.NoError(t, os.MkdirAll(filepath.Join(export, "npm"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(export, "npm", "all.zip"), archivetest.Zip(entries...), 0o644))
	srv := httptest.NewServer(http.FileServer(http.Dir(export)))
	defer srv.Close()

	out := filepath.Join(t.TempDir(), "cache", "osv.lsdb")
	t.Setenv("LAMBDASCAN_DB", out)
	code, stdout, errs := lambdascan(t, "db", "update", "--from", srv.URL)
	require.Equal(t, exitOK, code, errs)
	assert.Contains(t, stdout, out)
	code, _, errs = lambdascan(t, "scan", filepath.Join(testdata, "packages", "node-api.zip"))
	assert.Equal(t, exitFindings, code, "scan finds the default DB that update wrote: %s", errs)
}

// Operator commands need credentials in the environment, and say so.
func TestOperatorCommandsNeedCredentials(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_REGION", "")
	for _, args := range [][]string{{"status"}, {"replay", "--dry-run"}, {"bulk", "start"}} {
		code, _, errs := lambdascan(t, args...)
		assert.Equal(t, exitError, code, args)
		assert.Contains(t, errs, "AWS_REGION and credentials", args)
	}
	code, _, _ := lambdascan(t, "bulk", "stop")
	assert.Equal(t, exitError, code, "unknown bulk subcommand")
}

// Every command and subcommand answers --help on stdout with exit 0, and
// shows its usage with long flags as --flag.
func TestHelpEverywhere(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"}, {"help", "scan"},
		{"scan", "--help"}, {"scan", "-h"}, {"db", "--help"}, {"db", "build", "--help"}, {"db", "update", "--help"},
		{"db", "info", "--help"}, {"bulk", "--help"}, {"bulk", "start", "--help"}, {"status", "--help"},
		{"replay", "--help"}, {"version", "--help"},
	} {
		code, out, errs := lambdascan(t, args...)
		assert.Equal(t, exitOK, code, "%v: %s", args, errs)
		assert.Empty(t, errs, args)
		assert.Contains(t, out, "Usage:\n  lambdascan", args)
		_, examples, ok := strings.Cut(out, "\nExamples:\n")
		require.True(t, ok, "%v: examples", args)
		n := strings.Count(examples, "\n  ")
		assert.True(t, n >= 2 && n <= 4, "%v: 3-5 examples, got %d", args, n+1)
		assert.NotRegexp(t, `(?m)^\s+-[a-z][a-z-]+ `, out, "%v: long flags are shown as --flag", args)
	}
	_, out, _ := lambdascan(t, "scan", "--help")
	for _, want := range []string{"TARGET:", "arn:aws:lambda:REGION:ACCOUNT:function:NAME", "docker save", "Formats (--format):", "html", "Exit codes:", "--fail-on LEVEL", "--quiet"} {
		assert.Contains(t, out, want)
	}
	_, out, _ = lambdascan(t, "--help")
	for _, cmd := range []string{"scan", "db build", "db update", "db info", "bulk start", "status", "replay", "version"} {
		assert.Contains(t, out, "\n  "+cmd+" ", "the root help names %q", cmd)
	}
}

// A bad flag, format or level names what is valid; a missing DB says how to
// build one in every command that reads it.
func TestErrorsNameTheValidValues(t *testing.T) {
	zip := filepath.Join(testdata, "packages", "node-api.zip")
	missing := filepath.Join(t.TempDir(), "none.lsdb")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"scan", "--format", "xml", zip}, []string{`unknown --format "xml"`, "table, json, sarif, cyclonedx, spdx, html"}},
		{[]string{"scan", "--fail-on", "severe", zip}, []string{`unknown --fail-on "severe"`, "low, medium, high, critical"}},
		{[]string{"scan", "--bogus", zip}, []string{"unknown flag: --bogus", "valid flags: --db,", "lambdascan scan --help"}},
		{[]string{"scan", "--db"}, []string{"flag needs an argument: --db"}},
		{[]string{"db", "frob"}, []string{`unknown command "frob" (valid: build, update, info)`}},
		{[]string{"bulk", "stop"}, []string{`unknown command "stop" (valid: start)`}},
		{[]string{"status", "-x"}, []string{"unknown flag: -x", "--limit"}},
		{[]string{"frobnicate"}, []string{`unknown command "frobnicate" (valid: scan, db`}},
		{[]string{"scan", "--db", missing, zip}, []string{"no vulnerability DB at " + missing, "lambdascan db update", "lambdascan db build --from DIR --out FILE"}},
		{[]string{"db", "info", missing}, []string{"no vulnerability DB at " + missing, "lambdascan db update"}},
	} {
		code, out, errs := lambdascan(t, tc.args...)
		assert.Equal(t, exitError, code, tc.args)
		assert.Empty(t, out, tc.args)
		for _, w := range tc.want {
			assert.Contains(t, errs, w, tc.args)
		}
	}
}

// A failed scan prints its named error once, on stderr, saying what was
// read; nothing goes to stdout.
func TestFailedScanPrintsOnlyTheError(t *testing.T) {
	db := testDB(t)
	notZip := filepath.Join(testdata, "packages", "src", "node-api", "index.js")
	for _, format := range []string{"table", "json", "html"} {
		code, out, errs := lambdascan(t, "scan", "--db", db, "--format", format, notZip)
		assert.Equal(t, exitError, code)
		assert.Empty(t, out, format)
		assert.Equal(t, "lambdascan scan: zip "+notZip+": NotAZip: not a zip archive: zip: not a valid zip file\n", errs, format)
	}
	// --output with json still keeps the failure report, for CI artifacts.
	outFile := filepath.Join(t.TempDir(), "r.json")
	code, _, _ := lambdascan(t, "scan", "--db", db, "--format", "json", "--output", outFile, notZip)
	assert.Equal(t, exitError, code)
	var r report.Report
	b, err := os.ReadFile(outFile)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, schema.ErrNotAZip, r.Error.Name)
}

// --quiet prints the findings table only, or nothing without findings.
func TestQuiet(t *testing.T) {
	db := testDB(t)
	code, out, _ := lambdascan(t, "scan", "--db", db, "--quiet", filepath.Join(testdata, "packages", "java-shaded.zip"))
	assert.Equal(t, exitFindings, code)
	assert.True(t, strings.HasPrefix(out, "Maven org.apache.logging.log4j:log4j-core 2.14.1 → 2.15.0 fixes 1 (max critical)"), out)
	assert.NotContains(t, out, "status:")
	assert.NotContains(t, out, "packages,")
	assert.NotContains(t, out, "\x1b[", "no colour when stdout is not a terminal")

	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.MkdirAll(empty, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(empty, "index.js"), []byte("exports.handler = async () => 1\n"), 0o644))
	code, out, errs := lambdascan(t, "scan", "--db", db, "--quiet", empty)
	assert.Equal(t, exitOK, code, errs)
	assert.Empty(t, out)
}
