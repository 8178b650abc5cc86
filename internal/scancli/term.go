package scancli

import (
	"io"
	"os"
	"strconv"
)

// Terminal says whether w is a terminal that takes colour (NO_COLOR unset,
// TERM not "dumb") and how wide it is (0: not a terminal). $COLUMNS, as
// shells export it, overrides the width.
func Terminal(w io.Writer) (color bool, width int) {
	f, ok := w.(*os.File)
	if !ok {
		return false, 0
	}
	width, isTTY := termWidth(f)
	if !isTTY {
		return false, 0
	}
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
		width = c
	}
	noColor := os.Getenv("NO_COLOR") != "" // no-color.org: set and not empty
	return !noColor && os.Getenv("TERM") != "dumb", width
}
