package vulndb_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// feedsDir lays out a --from folder with one Go record (no severity, as the
// Go vulndb publishes them) and the three feeds.
func feedsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	write("Go/GO-2020-0001.json", `{"id":"GO-2020-0001","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2020-0001","GHSA-xxxx-yyyy-zzzz"],
		"affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}`)
	write("Go/GO-2020-0002.json", `{"id":"GO-2020-0002","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2020-0404"],
		"affected":[{"package":{"ecosystem":"Go","name":"example.com/m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.0"}]}]}]}`)
	write("nvd/cves-0001.json", `{"resultsPerPage":1,"startIndex":0,"totalResults":1,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-01T10:00:00.000",
		"vulnerabilities":[{"cve":{"id":"CVE-2020-0001","sourceIdentifier":"cna@example.org","lastModified":"2024-01-01T00:00:00.000",
		"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8}}]}}}]}`)
	write("kev/known_exploited_vulnerabilities.json", `{"catalogVersion":"2026.11.01","dateReleased":"2026-11-01T12:00:00.000Z","count":1,
		"vulnerabilities":[{"cveID":"CVE-2020-0001","dateAdded":"2024-02-01","dueDate":"2024-02-22","knownRansomwareCampaignUse":"Unknown"}]}`)
	write("epss/epss_scores-2026-11-01.csv", "#model_version:v2025.03.14,score_date:2026-11-01T12:55:00Z\ncve,epss,percentile\nCVE-2020-0001,0.5,0.97\n")
	return dir
}

func TestBuildIngestsFeeds(t *testing.T) {
	db, info := build(t, vulndb.BuildOptions{Sources: []string{feedsDir(t)}})
	// The feed folders are not ecosystems.
	assert.Equal(t, []string{"Go"}, keys(info.Ecosystems))
	require.Len(t, info.Feeds, 3)
	assert.Equal(t, 1, info.Feeds["nvd"].Count)
	assert.Equal(t, "2026-11-01T10:00:00.000", info.Feeds["nvd"].Date)
	assert.Equal(t, 1, info.Feeds["kev"].Count)
	assert.Equal(t, "2026-11-01", info.Feeds["epss"].Date)
	// The header survives the file.
	assert.Equal(t, info.Feeds, db.Info().Feeds)

	advs, err := db.Lookup("Go", "example.com/m")
	require.NoError(t, err)
	require.Len(t, advs, 2)
	byID := map[string]vulndb.Advisory{}
	for _, a := range advs {
		byID[a.ID] = a
	}
	cves := byID["GO-2020-0001"].CVEs
	require.Len(t, cves, 1)
	assert.Equal(t, "CVE-2020-0001", cves[0].ID)
	require.NotNil(t, cves[0].NVD)
	assert.Equal(t, 9.8, cves[0].NVD.Score)
	require.NotNil(t, cves[0].KEV)
	assert.Equal(t, "2024-02-01", cves[0].KEV.DateAdded)
	require.NotNil(t, cves[0].EPSS)
	assert.Equal(t, 0.97, cves[0].EPSS.Percentile)
	// A CVE no feed knows adds nothing.
	assert.Empty(t, byID["GO-2020-0002"].CVEs)
}

func TestBuildWithoutFeedsHasNoFeedHeader(t *testing.T) {
	_, info := build(t, vulndb.BuildOptions{Sources: []string{testOSV}})
	assert.Empty(t, info.Feeds)
}

func TestBuildRejectsBrokenFeed(t *testing.T) {
	dir := feedsDir(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "epss", "bad.csv"), []byte("not,epss\n"), 0o644))
	_, err := vulndb.BuildFile(t.Context(), vulndb.BuildOptions{Sources: []string{dir}, Now: fixedNow}, filepath.Join(t.TempDir(), "x.lsdb"))
	assert.ErrorContains(t, err, "bad.csv")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
