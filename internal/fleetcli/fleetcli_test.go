package fleetcli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/findings"
)

func TestLines(t *testing.T) {
	fn := findings.Function{ARN: "arn:aws:lambda:eu-west-1:1:function:a", Version: "$LATEST", Account: "1", Region: "eu-west-1", Name: "a"}
	lodash := findings.Package{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"}
	yaml := findings.Package{Ecosystem: "PyPI", Name: "PyYAML", Version: "5.3", Layer: "arn:aws:lambda:eu-west-1:1:layer:yaml:3"}
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	rows := []findings.Row{
		{Function: fn, Package: lodash, Since: since},
		{Function: fn, Package: lodash, Since: since, Finding: &findings.Finding{Advisory: "GHSA-p6mc-m468-83gw", Fixed: "4.17.19", Severity: "high", KEV: true}},
		{Function: fn, Package: yaml, Since: since},
	}
	other := findings.Function{ARN: "arn:aws:lambda:eu-west-1:1:function:b", Version: "$LATEST", Account: "1", Region: "eu-west-1", Name: "b"}
	rows = append(rows,
		findings.Row{Function: fn, Package: findings.Package{Layer: yaml.Layer}, Since: since},    // a uses the layer: its package row says so
		findings.Row{Function: other, Package: findings.Package{Layer: yaml.Layer}, Since: since}) // b uses it, nothing else known
	rows[2].Finding = &findings.Finding{Advisory: "PYSEC-2021-142", Severity: "critical"}
	lines := Lines(rows)
	require.Len(t, lines, 3, "package and layer rows fold into the findings that cover them")
	assert.Equal(t, "GHSA-p6mc-m468-83gw", lines[0].Advisory)
	assert.Equal(t, "PYSEC-2021-142", lines[1].Advisory)
	assert.Equal(t, "b", lines[2].Function)
	assert.Equal(t, "", lines[2].Package)

	var buf bytes.Buffer
	require.NoError(t, Write(&buf, lines, FormatTable))
	out := buf.String()
	assert.Contains(t, out, "ACCOUNT")
	assert.Regexp(t, `a +\$LATEST +lodash +4\.17\.15 +4\.17\.19 +GHSA-p6mc-m468-83gw +high +KEV +- +2026-11-01`, out)
	assert.Contains(t, out, "PyYAML (layer yaml:3)")
	assert.Regexp(t, `b +\$LATEST +- \(layer yaml:3\) +-`, out)
	assert.True(t, strings.HasSuffix(out, "3 line(s)\n"))

	buf.Reset()
	require.NoError(t, Write(&buf, lines, FormatJSON))
	var back []Line
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
	assert.Equal(t, lines, back)
	assert.Error(t, Write(&buf, lines, "xml"))
}
