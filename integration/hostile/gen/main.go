// Command gen writes the hostile-package corpus (testdata/hostile/EXPECTED.tsv
// names each input's expected outcome) into a directory.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/lambdascan/lambdascan/integration/hostile"
)

func main() {
	out := flag.String("out", "", "directory to write the inputs into (created)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gen -out DIR")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := hostile.Generate(*out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
