package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/lambdascan/lambdascan/shared/scan"
)

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	if _, code, ok := parseFlags("version", versionHelp, flag.NewFlagSet("version", flag.ContinueOnError), args, stdout, stderr); !ok {
		return code
	}
	fmt.Fprintf(stdout, "%s %s\n", scan.Name, scan.Version)
	return exitOK
}
