package findings

import (
	"github.com/google/osv-scalibr/semantic"
	"github.com/lambdascan/lambdascan/shared/ecosystem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in   string
		want Query
	}{
		{"CVE-2021-44228", Query{Advisory: "CVE-2021-44228"}},
		{"GHSA-p6mc-m468-83gw", Query{Advisory: "GHSA-p6mc-m468-83gw"}},
		{"GO-2022-0969", Query{Advisory: "GO-2022-0969"}},
		{"PYSEC-2021-59", Query{Advisory: "PYSEC-2021-59"}},
		{"lodash", Query{Name: "lodash"}},
		{"lodash@4.17.15", Query{Name: "lodash", Constraints: []Constraint{{"=", "4.17.15"}}}},
		{"lodash@<4.17.21", Query{Name: "lodash", Constraints: []Constraint{{"<", "4.17.21"}}}},
		{"@babel/core@>=7.0.0, <7.23.2", Query{Name: "@babel/core", Constraints: []Constraint{{">=", "7.0.0"}, {"<", "7.23.2"}}}},
		{"@types/node", Query{Name: "@types/node"}},
		{"pkg:npm/minimist@1.2.0", Query{Ecosystem: "npm", Name: "minimist", Constraints: []Constraint{{"=", "1.2.0"}}}},
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", Query{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Constraints: []Constraint{{"=", "2.14.1"}}}},
		{"org.apache.logging.log4j:log4j-core@<2.17.1", Query{Name: "org.apache.logging.log4j:log4j-core", Constraints: []Constraint{{"<", "2.17.1"}}}},
		{"PyYAML@5.3", Query{Name: "PyYAML", Constraints: []Constraint{{"=", "5.3"}}}},
		{"arn:aws:lambda:eu-west-1:123456789012:layer:yaml:3", Query{Layer: "arn:aws:lambda:eu-west-1:123456789012:layer:yaml:3"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseQuery(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	for _, bad := range []string{"", "lodash@<", "pkg:npm", "pkg:deb/debian/openssl@1", "arn:aws:lambda:eu-west-1:1:function:f"} {
		_, err := ParseQuery(bad)
		assert.Error(t, err, bad)
	}
}

func TestMatches(t *testing.T) {
	q, err := ParseQuery("log4j-core@>=2.0-beta9,<2.15.0")
	require.NoError(t, err)
	tests := []struct {
		eco, version string
		want         bool
	}{
		{"Maven", "2.14.1", true},
		{"Maven", "2.15.0", false},
		{"Maven", "2.0-beta9", true},
		{"Maven", "1.2.17", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, q.Matches(tc.eco, tc.version, compare), tc.version)
	}
	// Versions compare the ecosystem's way, not as strings.
	q, _ = ParseQuery("lodash@<4.17.21")
	assert.True(t, q.Matches("npm", "4.17.9", compare))
	assert.False(t, q.Matches("npm", "4.17.100", compare))
	q, _ = ParseQuery("pkg:npm/lodash")
	assert.False(t, q.Matches("PyPI", "1.0", compare), "a purl names its ecosystem")
}

func TestFromReport(t *testing.T) {
	raw := `{"status":"partial","packages":[
	  {"ecosystem":"npm","name":"lodash","version":"4.17.15","purl":"pkg:npm/lodash@4.17.15","origin":{"kind":"function"}},
	  {"ecosystem":"PyPI","name":"PyYAML","version":"5.3","origin":{"kind":"layer","layer":"arn:aws:lambda:eu-west-1:1:layer:yaml:3"}},
	  {"ecosystem":"npm","name":"lodash","version":"4.17.15","purl":"pkg:npm/lodash@4.17.15","origin":{"kind":"function"}}],
	 "findings":[{"id":"GHSA-p6mc-m468-83gw","aliases":["CVE-2020-8203"],"severity":{"level":"high","score":7.4},"fixed_version":"4.17.19",
	   "package":{"ecosystem":"npm","name":"lodash","version":"4.17.15","origin":{"kind":"function"}},"kev":{"dateAdded":"2024-01-01"}},
	  {"id":"GO-2022-0969","severity":{"level":""},"package":{"ecosystem":"Go","name":"stdlib","version":"1.18"},"reachability":{"level":"symbol"}}]}`
	var snap Snapshot
	require.NoError(t, FromReport([]byte(raw), &snap))
	assert.False(t, snap.Complete)
	assert.Len(t, snap.Packages, 2)
	assert.Equal(t, "arn:aws:lambda:eu-west-1:1:layer:yaml:3", snap.Packages[1].Layer)
	require.Len(t, snap.Findings, 2)
	assert.Equal(t, Finding{Advisory: "GHSA-p6mc-m468-83gw", Aliases: []string{"CVE-2020-8203"}, Severity: "high", Score: 7.4, Fixed: "4.17.19", KEV: true,
		Package: Package{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"}}, snap.Findings[0])
	assert.Equal(t, "unknown", snap.Findings[1].Severity)
	assert.Equal(t, "symbol", snap.Findings[1].Reachability)
	assert.Error(t, FromReport([]byte(`{`), &snap))
}

func TestNameKey(t *testing.T) {
	assert.Equal(t, "pyyaml", NameKey("PyPI", "PyYAML"))
	assert.Equal(t, "zope-interface", NameKey("PyPI", "zope.interface"))
	assert.Equal(t, "org.apache.logging.log4j:log4j-core", NameKey("Maven", "org.apache.logging.log4j:log4j-core"))
}

// compare is the CLI's comparator (fleetcli.CompareVersions), here in test
// code so the package itself links no osv-scalibr.
func compare(eco, installed, other string) (int, error) {
	v, err := semantic.Parse(installed, ecosystem.Base(eco))
	if err != nil {
		return 0, err
	}
	return v.CompareStr(other)
}
