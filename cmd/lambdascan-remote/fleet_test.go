package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lambdascan/lambdascan/internal/scancli"
)

// Bad arguments end as exit 2 with a message, before any AWS call.
func TestFleetCommandsRejectBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"affected"}, "usage: lambdascan affected"},
		{[]string{"affected", "a", "b"}, "usage: lambdascan affected"},
		{[]string{"affected", "lodash@<"}, "has no version"},
		{[]string{"affected", "pkg:deb/debian/openssl@1"}, "not one lambdascan reads"},
		{[]string{"affected", "--format", "xml", "CVE-2020-8203"}, `unknown format "xml"`},
		{[]string{"findings", "--format", "csv"}, `unknown format "csv"`},
		{[]string{"affected", "CVE-2020-8203"}, "set AWS_REGION"},
		{[]string{"findings", "--severity", "urgent"}, `unknown severity "urgent"`},
		{[]string{"findings", "extra"}, `unexpected argument "extra"`},
	}
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &stdout, &stderr)
		assert.Equal(t, scancli.ExitError, code, "%v", tc.args)
		assert.Contains(t, stderr.String(), tc.want, "%v", tc.args)
		assert.Empty(t, stdout.String())
	}
}
