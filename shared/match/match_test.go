package match_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/feeds"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// index writes the advisories as OSV records and builds a real index from
// them, so matching is tested through the same file the scanner opens.
func index(t *testing.T, advs ...vulndb.Advisory) *vulndb.DB {
	t.Helper()
	dir := t.TempDir()
	// The feeds' facts of a.CVEs go in as a feed set the build attaches
	// through the CVE aliases, as db build --from does.
	fset := feeds.NewSet()
	for i, a := range advs {
		for _, c := range a.CVEs {
			if !slices.Contains(a.Aliases, c.ID) {
				a.Aliases = append(a.Aliases, c.ID)
			}
			if c.NVD != nil {
				fset.AddNVD(map[string]feeds.NVDRecord{c.ID: {LastModified: "2024-01-01", Metric: c.NVD}}, "2024-01-01", "test")
			}
			if c.KEV != nil {
				fset.KEV[c.ID] = *c.KEV
				fset.Info[feeds.KEV] = feeds.Info{Count: len(fset.KEV)}
			}
			if c.EPSS != nil {
				fset.EPSS[c.ID] = *c.EPSS
				fset.Info[feeds.EPSS] = feeds.Info{Count: len(fset.EPSS)}
			}
		}
		type pkg struct {
			Ecosystem string `json:"ecosystem"`
			Name      string `json:"name"`
		}
		type affected struct {
			Package  pkg               `json:"package"`
			Ranges   []vulndb.Range    `json:"ranges,omitempty"`
			Versions []string          `json:"versions,omitempty"`
			Severity []vulndb.Severity `json:"severity,omitempty"`
		}
		rec := map[string]any{"id": a.ID, "aliases": a.Aliases, "severity": a.Severity}
		if a.GHSeverity != "" {
			rec["database_specific"] = map[string]string{"severity": a.GHSeverity}
		}
		var affs []affected
		for _, af := range a.Affected {
			affs = append(affs, affected{Package: pkg{af.Ecosystem, af.Name}, Ranges: af.Ranges, Versions: af.Versions, Severity: af.Severity})
		}
		rec["affected"] = affs
		b, err := json.Marshal(rec)
		require.NoError(t, err)
		eco := "records"
		require.NoError(t, os.MkdirAll(filepath.Join(dir, eco), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, eco, fmt.Sprintf("%d.json", i)), b, 0o644))
	}
	var buf bytes.Buffer
	_, err := vulndb.Build(context.Background(), vulndb.BuildOptions{Sources: []string{dir}, Feeds: fset}, &buf)
	require.NoError(t, err)
	db, err := vulndb.OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	return db
}

func ev(kind, v string) vulndb.Event {
	switch kind {
	case "i":
		return vulndb.Event{Introduced: v}
	case "f":
		return vulndb.Event{Fixed: v}
	case "l":
		return vulndb.Event{LastAffected: v}
	}
	return vulndb.Event{Limit: v}
}

func rng(typ string, evs ...vulndb.Event) vulndb.Range { return vulndb.Range{Type: typ, Events: evs} }

func TestAffects(t *testing.T) {
	tests := []struct {
		name      string
		eco, pkg  string
		version   string
		affected  vulndb.Affected
		want      bool
		wantFixed string
	}{
		{"below fixed", "npm", "lodash", "4.17.15", vulndb.Affected{Ecosystem: "npm", Name: "lodash", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "0"), ev("f", "4.17.19"))}}, true, "4.17.19"},
		{"at fixed", "npm", "lodash", "4.17.19", vulndb.Affected{Ecosystem: "npm", Name: "lodash", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "0"), ev("f", "4.17.19"))}}, false, ""},
		{"below introduced", "npm", "underscore", "1.3.1", vulndb.Affected{Ecosystem: "npm", Name: "underscore", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "1.3.2"), ev("f", "1.12.1"))}}, false, ""},
		{"two windows, nearest fix", "npm", "minimist", "1.2.0", vulndb.Affected{Ecosystem: "npm", Name: "minimist", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "0"), ev("f", "0.2.4"), ev("i", "1.0.0"), ev("f", "1.2.6"))}}, true, "1.2.6"},
		{"between windows", "npm", "minimist", "0.9.0", vulndb.Affected{Ecosystem: "npm", Name: "minimist", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "0"), ev("f", "0.2.4"), ev("i", "1.0.0"), ev("f", "1.2.6"))}}, false, ""},
		{"events out of order", "npm", "minimist", "1.2.0", vulndb.Affected{Ecosystem: "npm", Name: "minimist", Ranges: []vulndb.Range{rng("SEMVER", ev("f", "1.2.6"), ev("i", "1.0.0"), ev("f", "0.2.4"), ev("i", "0"))}}, true, "1.2.6"},
		{"last_affected inclusive", "PyPI", "jinja2", "2.11.2", vulndb.Affected{Ecosystem: "PyPI", Name: "jinja2", Ranges: []vulndb.Range{rng("ECOSYSTEM", ev("i", "0"), ev("l", "2.11.2"))}}, true, ""},
		{"above last_affected", "PyPI", "jinja2", "2.11.3", vulndb.Affected{Ecosystem: "PyPI", Name: "jinja2", Ranges: []vulndb.Range{rng("ECOSYSTEM", ev("i", "0"), ev("l", "2.11.2"))}}, false, ""},
		{"limit", "Go", "example.com/m", "2.0.0", vulndb.Affected{Ecosystem: "Go", Name: "example.com/m", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "1.0.0"), ev("x", "2.0.0"))}}, false, ""},
		{"limit * is no limit", "Go", "example.com/m", "9.0.0", vulndb.Affected{Ecosystem: "Go", Name: "example.com/m", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "1.0.0"), ev("x", "*"))}}, true, ""},
		{"below one of two limits", "Go", "example.com/m", "2.5.0", vulndb.Affected{Ecosystem: "Go", Name: "example.com/m", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "1.0.0"), ev("x", "2.0.0"), ev("x", "3.0.0"))}}, true, ""},
		{"below limit", "Go", "example.com/m", "1.5.0", vulndb.Affected{Ecosystem: "Go", Name: "example.com/m", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "1.0.0"), ev("x", "2.0.0"))}}, true, ""},
		{"GIT range first, ECOSYSTEM after, no versions list", "PyPI", "beaker", "1.5.0", vulndb.Affected{Ecosystem: "PyPI", Name: "beaker", Ranges: []vulndb.Range{
			rng("GIT", ev("i", "0"), ev("f", "91becae76101cf87ce8cbfabe3af2622fc328fe5")),
			rng("ECOSYSTEM", ev("i", "0"), ev("f", "1.6.4"))}}, true, "1.6.4"},
		{"explicit versions list", "PyPI", "pyfribidi", "0.11.0", vulndb.Affected{Ecosystem: "PyPI", Name: "pyfribidi", Versions: []string{"0.10.0", "0.11.0"}}, true, ""},
		{"not in versions list", "PyPI", "pyfribidi", "0.12.0", vulndb.Affected{Ecosystem: "PyPI", Name: "pyfribidi", Versions: []string{"0.10.0", "0.11.0"}}, false, ""},
		{"PEP 440 normalization", "PyPI", "PyYAML", "5.3", vulndb.Affected{Ecosystem: "PyPI", Name: "pyyaml", Ranges: []vulndb.Range{rng("ECOSYSTEM", ev("i", "0"), ev("f", "5.3.1"))}}, true, "5.3.1"},
		{"PyPI prerelease below fix", "PyPI", "requests", "2.31.0rc1", vulndb.Affected{Ecosystem: "PyPI", Name: "requests", Ranges: []vulndb.Range{rng("ECOSYSTEM", ev("i", "2.3.0"), ev("f", "2.31.0"))}}, true, "2.31.0"},
		{"Maven qualifier ordering", "Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", vulndb.Affected{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Ranges: []vulndb.Range{rng("ECOSYSTEM", ev("i", "2.0-beta9"), ev("f", "2.15.0"))}}, true, "2.15.0"},
		{"Maven beta before release", "Maven", "org.apache.logging.log4j:log4j-core", "2.0-beta8", vulndb.Affected{Ecosystem: "Maven", Name: "org.apache.logging.log4j:log4j-core", Ranges: []vulndb.Range{rng("ECOSYSTEM", ev("i", "2.0-beta9"), ev("f", "2.15.0"))}}, false, ""},
		{"Go pseudo-version", "Go", "golang.org/x/net", "0.0.0-20210226172049-e18ecbb05110", vulndb.Affected{Ecosystem: "Go", Name: "golang.org/x/net", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "0"), ev("f", "0.7.0"))}}, true, "0.7.0"},
		{"Go +incompatible", "Go", "github.com/dgrijalva/jwt-go", "3.2.0+incompatible", vulndb.Affected{Ecosystem: "Go", Name: "github.com/dgrijalva/jwt-go", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "0.0.0-20150717181359-44718f8a89b0"))}}, true, ""},
		{"ecosystem suffix matches release", "Debian:12", "openssl", "3.0.11-1~deb12u1", vulndb.Affected{Ecosystem: "Debian:12", Name: "openssl", Ranges: []vulndb.Range{rng("ECOSYSTEM", ev("i", "0"), ev("f", "3.0.11-1~deb12u2"))}}, true, "3.0.11-1~deb12u2"},
		{"ecosystem suffix other release", "Debian:12", "openssl", "3.0.11-1~deb12u1", vulndb.Affected{Ecosystem: "Debian:11", Name: "openssl", Ranges: []vulndb.Range{rng("ECOSYSTEM", ev("i", "0"), ev("f", "3.0.11-1~deb12u2"))}}, false, ""},
		{"introduced equals fixed affects nothing", "npm", "a", "1.0.0", vulndb.Affected{Ecosystem: "npm", Name: "a", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "1.0.0"), ev("f", "1.0.0"))}}, false, ""},
		{"other package in the record", "npm", "lodash", "4.17.15", vulndb.Affected{Ecosystem: "npm", Name: "lodash-es", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "0"))}}, false, ""},
		{"NuGet case-insensitive name", "NuGet", "Newtonsoft.Json", "6.0.8", vulndb.Affected{Ecosystem: "NuGet", Name: "newtonsoft.json", Ranges: []vulndb.Range{rng("ECOSYSTEM", ev("i", "0"), ev("f", "13.0.1"))}}, true, "13.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := inventory.Package{Ecosystem: tc.eco, Name: tc.pkg, Version: tc.version}
			adv := vulndb.Advisory{ID: "TEST-1", Affected: []vulndb.Affected{tc.affected}}
			got, _, _, err := matchOne(t, adv, p)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.hit)
			assert.Equal(t, tc.wantFixed, got.fixed)
		})
	}
}

type result struct {
	hit   bool
	fixed string
}

func matchOne(t *testing.T, adv vulndb.Advisory, p inventory.Package) (result, []match.Finding, []match.Skip, error) {
	fs, skips, err := match.Packages(index(t, adv), []inventory.Package{p})
	if err != nil || len(fs) == 0 {
		return result{}, fs, skips, err
	}
	return result{hit: true, fixed: fs[0].FixedVersion}, fs, skips, nil
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		name   string
		adv    vulndb.Advisory
		level  string
		score  float64
		source string
	}{
		{"CVSS 3.1 critical", vulndb.Advisory{Severity: []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}}, "critical", 9.8, "osv"},
		{"CVSS 3.1 high", vulndb.Advisory{Severity: []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}}}, "high", 7.4, "osv"},
		{"CVSS 3.0", vulndb.Advisory{Severity: []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"}}}, "medium", 6.1, "osv"},
		{"CVSS 4.0", vulndb.Advisory{Severity: []vulndb.Severity{{Type: "CVSS_V4", Score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}}}, "critical", 9.3, "osv"},
		{"v4 preferred over v3", vulndb.Advisory{Severity: []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"}, {Type: "CVSS_V4", Score: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}}}, "critical", 9.3, "osv"},
		{"CVSS 2", vulndb.Advisory{Severity: []vulndb.Severity{{Type: "CVSS_V2", Score: "AV:N/AC:L/Au:N/C:P/I:P/A:P"}}}, "high", 7.5, "osv"},
		{"GitHub rating only", vulndb.Advisory{GHSeverity: "MODERATE"}, "medium", 0, "ghsa"},
		{"broken vector falls back", vulndb.Advisory{Severity: []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/garbage"}}, GHSeverity: "LOW"}, "low", 0, "ghsa"},
		{"GitHub rating before NVD", vulndb.Advisory{GHSeverity: "LOW", CVEs: []vulndb.CVEFacts{nvd("CVE-2020-1", "3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")}}, "low", 0, "ghsa"},
		{"NVD of the CVE alias", vulndb.Advisory{CVEs: []vulndb.CVEFacts{nvd("CVE-2020-1", "3.1", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H")}}, "high", 7.4, "nvd:CVE-2020-1"},
		{"highest of two CVE aliases", vulndb.Advisory{CVEs: []vulndb.CVEFacts{
			nvd("CVE-2020-1", "3.1", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"),
			nvd("CVE-2020-2", "2.0", "AV:N/AC:L/Au:N/C:C/I:C/A:C")}}, "critical", 10, "nvd:CVE-2020-2"},
		{"record CVSS before NVD", vulndb.Advisory{Severity: []vulndb.Severity{{Type: "CVSS_V3", Score: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}},
			CVEs: []vulndb.CVEFacts{nvd("CVE-2020-1", "2.0", "AV:N/AC:L/Au:N/C:C/I:C/A:C")}}, "high", 7.4, "osv"},
		{"KEV alone rates nothing", vulndb.Advisory{CVEs: []vulndb.CVEFacts{{ID: "CVE-2020-1", CVE: feeds.CVE{KEV: &feeds.KEVEntry{DateAdded: "2024-01-01"}}}}}, "unknown", 0, ""},
		{"nothing known", vulndb.Advisory{}, "unknown", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.adv.ID = "TEST-2"
			tc.adv.Affected = []vulndb.Affected{{Ecosystem: "npm", Name: "a", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "0"))}}}
			_, fs, _, err := matchOne(t, tc.adv, inventory.Package{Ecosystem: "npm", Name: "a", Version: "1.0.0"})
			require.NoError(t, err)
			require.Len(t, fs, 1)
			assert.Equal(t, tc.level, fs[0].Severity.Level)
			assert.InDelta(t, tc.score, fs[0].Severity.Score, 0.001)
			assert.Equal(t, tc.source, fs[0].Severity.Source)
		})
	}
}

func TestUnmatchablePackagesAreSkippedLoudly(t *testing.T) {
	idx := index(t, vulndb.Advisory{ID: "X", Affected: []vulndb.Affected{{Ecosystem: "Go", Name: "example.com/app", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "0"))}}}})
	fs, skips, err := match.Packages(idx, []inventory.Package{
		{Ecosystem: "Go", Name: "example.com/app", Version: "(devel)"},
		{Ecosystem: "npm", Name: "node-fetch", Bundled: true},
	})
	require.NoError(t, err)
	assert.Empty(t, fs)
	assert.Len(t, skips, 2)
}

func TestSortedBySeverity(t *testing.T) {
	fs := []match.Finding{
		{ID: "A", Severity: match.Severity{Level: "low", Score: 3}},
		{ID: "B", Severity: match.Severity{Level: "unknown"}},
		{ID: "C", Severity: match.Severity{Level: "critical", Score: 9.1}},
		{ID: "D", Severity: match.Severity{Level: "critical", Score: 9.8}},
	}
	match.Sort(fs)
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	assert.Equal(t, []string{"D", "C", "A", "B"}, ids)
}

func TestVersionsListSpelling(t *testing.T) {
	adv := vulndb.Advisory{ID: "PYSEC-TEST", Affected: []vulndb.Affected{{Ecosystem: "PyPI", Name: "pkg", Versions: []string{"0.9", "1.0", "1.1rc1", "10.2"}}}}
	for v, want := range map[string]bool{"0!1.0": true, "1.0.0": true, "1.0": true, "01.0": true, "1.1.0rc1": true, "10.2.0": true, "2.0": false, "1.0.1": false} {
		got, _, _, err := matchOne(t, adv, inventory.Package{Ecosystem: "PyPI", Name: "pkg", Version: v})
		require.NoError(t, err)
		assert.Equal(t, want, got.hit, v)
	}
}

func nvd(id, version, vector string) vulndb.CVEFacts {
	return vulndb.CVEFacts{ID: id, CVE: feeds.CVE{NVD: &feeds.Metric{Version: version, Vector: vector, By: "nvd"}}}
}

func TestKEVAndEPSSOnFindings(t *testing.T) {
	adv := vulndb.Advisory{ID: "GO-TEST", Aliases: []string{"CVE-2020-1", "CVE-2020-2"}, CVEs: []vulndb.CVEFacts{
		{ID: "CVE-2020-1", CVE: feeds.CVE{KEV: &feeds.KEVEntry{DateAdded: "2024-03-01", DueDate: "2024-03-22", KnownRansomware: true}, EPSS: &feeds.EPSSScore{Score: 0.2, Percentile: 0.9, Date: "2026-11-01"}}},
		{ID: "CVE-2020-2", CVE: feeds.CVE{EPSS: &feeds.EPSSScore{Score: 0.7, Percentile: 0.99, Date: "2026-11-01"}}},
	}, Affected: []vulndb.Affected{{Ecosystem: "Go", Name: "example.com/m", Ranges: []vulndb.Range{rng("SEMVER", ev("i", "0"))}}}}
	_, fs, _, err := matchOne(t, adv, inventory.Package{Ecosystem: "Go", Name: "example.com/m", Version: "1.0.0"})
	require.NoError(t, err)
	require.Len(t, fs, 1)
	assert.Equal(t, &match.KEV{DateAdded: "2024-03-01", DueDate: "2024-03-22", KnownRansomware: true}, fs[0].KEV)
	// The highest EPSS among the CVE ids.
	assert.Equal(t, &match.EPSS{Score: 0.7, Percentile: 0.99, Date: "2026-11-01"}, fs[0].EPSS)
}

func TestRiskOrder(t *testing.T) {
	sev := func(l string, s float64) match.Severity { return match.Severity{Level: l, Score: s} }
	reach := func(l string) *match.Reachability { return &match.Reachability{Level: l} }
	fs := []match.Finding{
		{ID: "crit-npm", Severity: sev("critical", 9.8)},
		{ID: "low-kev", Severity: sev("low", 2), KEV: &match.KEV{DateAdded: "2024-01-01"}},
		{ID: "unknown-symbol", Severity: sev("unknown", 0), Reachability: reach(match.ReachSymbol)},
		{ID: "high-module", Severity: sev("high", 7.5), Reachability: reach(match.ReachModule)},
		{ID: "high-package", Severity: sev("high", 7.5), Reachability: reach(match.ReachPackage)},
		{ID: "high-unknown-reach", Severity: sev("high", 7.5), Reachability: reach(match.ReachUnknown)},
		{ID: "high-epss", Severity: sev("high", 7.0), EPSS: &match.EPSS{Score: 0.5}},
		{ID: "high-9", Severity: sev("high", 8.9)},
	}
	match.Sort(fs)
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	assert.Equal(t, []string{"low-kev", "unknown-symbol", "high-package", "high-module", "crit-npm", "high-epss", "high-9", "high-unknown-reach"}, ids)
}
