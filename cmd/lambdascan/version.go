package main

import (
	"fmt"
	"io"

	"github.com/lambdascan/lambdascan/shared/scan"
)

func cmdVersion(w io.Writer) int {
	fmt.Fprintf(w, "%s %s\n", scan.Name, scan.Version)
	return exitOK
}
