package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Formats the renderers produce.
const (
	FormatTable     = "table"
	FormatJSON      = "json"
	FormatSARIF     = "sarif"
	FormatCycloneDX = "cyclonedx"
	FormatSPDX      = "spdx"
	FormatHTML      = "html"
)

// Formats lists every format, for flag help and validation.
var Formats = []string{FormatTable, FormatJSON, FormatSARIF, FormatCycloneDX, FormatSPDX, FormatHTML}

// Write renders the report in the given format.
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatTable:
		return WriteTable(w, r)
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case FormatSARIF:
		return WriteSARIF(w, r)
	case FormatCycloneDX:
		return WriteCycloneDX(w, r)
	case FormatSPDX:
		return WriteSPDX(w, r)
	case FormatHTML:
		return WriteHTML(w, r)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}
