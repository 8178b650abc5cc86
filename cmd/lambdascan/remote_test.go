package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Images and ARNs go to lambdascan-remote with the arguments as given; its
// output and exit code are the command's. Zips never leave the process.
func TestImagesAndARNsRunTheCompanion(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "lambdascan-remote")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\necho \"remote: $*\"\nexit 3\n"), 0o755))
	t.Setenv(remoteEnv, script)
	db := testDB(t)

	code, out, _ := lambdascan(t, "scan", "--db", db, "public.ecr.aws/lambda/python:3.12", "--platform", "linux/arm64")
	assert.Equal(t, 3, code)
	assert.Equal(t, "remote: scan --db "+db+" public.ecr.aws/lambda/python:3.12 --platform linux/arm64\n", out)
	code, out, _ = lambdascan(t, "scan", "--db", db, "arn:aws:lambda:eu-west-1:123456789012:function:f")
	assert.Equal(t, 3, code)
	assert.True(t, strings.HasPrefix(out, "remote: scan"))

	code, out, _ = lambdascan(t, "scan", "--db", db, "--format", "json", filepath.Join(testdata, "packages", "node-api.zip"))
	assert.Equal(t, exitFindings, code)
	assert.NotContains(t, out, "remote:")

	t.Setenv(remoteEnv, filepath.Join(dir, "missing"))
	code, _, errs := lambdascan(t, "scan", "--db", db, "python:3.12")
	assert.Equal(t, exitError, code)
	assert.Contains(t, errs, "missing: ")
}
