package scan_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

func testDB(t *testing.T) *vulndb.DB {
	t.Helper()
	var buf bytes.Buffer
	_, err := vulndb.Build(context.Background(), vulndb.BuildOptions{Sources: []string{"../../testdata/osv"}}, &buf)
	require.NoError(t, err)
	db, err := vulndb.OpenReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	return db
}

func file(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pkg.zip")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// Every attempt yields a report; bad input ends as a named error or partial.
func TestStatuses(t *testing.T) {
	db := testDB(t)
	good, err := os.ReadFile("../../testdata/packages/node-api.zip")
	require.NoError(t, err)
	tests := []struct {
		name      string
		data      []byte
		db        *vulndb.DB
		status    string
		errorName report.ErrorName
	}{
		{"complete", good, db, report.StatusComplete, ""},
		{"not a zip", []byte("#!/bin/sh\nexit 0\n" + string(make([]byte, 64))), db, report.StatusFailed, "NotAZip"},
		{"truncated", good[:len(good)-40], db, report.StatusFailed, "CorruptPackage"},
		{"traversal entry", archivetest.Zip(archivetest.Entry{Name: "../../x/package.json", Body: []byte("{}")}, archivetest.Entry{Name: "requirements.txt", Body: []byte("flask==1.0\n")}), db, report.StatusPartial, ""},
		{"no database", good, nil, report.StatusFailed, "VulnDBMissing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scan.Run(context.Background(), tc.db, report.Target{Kind: "zip", Path: "pkg.zip"},
				[]inventory.Source{{Path: file(t, tc.data)}}, scan.Options{})
			require.NotNil(t, r)
			assert.Equal(t, report.SchemaVersion, r.Schema)
			assert.Equal(t, tc.status, r.Status)
			if tc.errorName != "" {
				require.NotNil(t, r.Error)
				assert.Equal(t, tc.errorName, r.Error.Name)
			} else {
				assert.Nil(t, r.Error)
			}
			assert.NotNil(t, r.Findings, "findings is [] not null in JSON")
		})
	}
}

func TestCompleteReportCarriesVersions(t *testing.T) {
	db := testDB(t)
	r := scan.Run(context.Background(), db, report.Target{Kind: "zip"},
		[]inventory.Source{{Path: "../../testdata/packages/node-api.zip"}}, scan.Options{})
	assert.Equal(t, db.Info().Version, r.DB.Version)
	assert.Equal(t, scan.Name, r.Scanner.Name)
	assert.Equal(t, 4, r.Summary.Findings)
	assert.Equal(t, "critical", r.Summary.MaxSeverity)
	assert.GreaterOrEqual(t, r.Timings.TotalMS, r.Timings.InventoryMS)
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := scan.Run(ctx, testDB(t), report.Target{Kind: "zip"}, []inventory.Source{{Path: "../../testdata/packages/node-api.zip"}}, scan.Options{})
	require.Equal(t, report.StatusFailed, r.Status)
	assert.Equal(t, report.ErrorName("ScanCanceled"), r.Error.Name)
}
