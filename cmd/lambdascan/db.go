package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/lambdascan/lambdascan/shared/feeds"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

func cmdDB(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError
	}
	switch args[0] {
	case "build":
		return dbBuild(ctx, args[1:], stdout, stderr, false)
	case "update":
		return dbBuild(ctx, args[1:], stdout, stderr, true)
	case "info":
		return dbInfo(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "lambdascan db: unknown command %q\n%s", args[0], usage)
	return exitError
}

func dbBuild(ctx context.Context, args []string, stdout, stderr io.Writer, update bool) int {
	name := "db build"
	if update {
		name = "db update"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var from multiFlag
	fs.Var(&from, "from", "directory with <Ecosystem>/all.zip (and optionally nvd/, kev/, epss/ feeds), or an OSV export base URL (repeatable)")
	ecos := fs.String("ecosystems", "", "comma-separated ecosystems (default: all found, or the scanner's for URLs)")
	out := fs.String("out", "", "index file to write")
	if update {
		*out = defaultDBPath()
	}
	if _, err := parseInterspersed(fs, args); err != nil {
		return exitError
	}
	if len(from) == 0 {
		if !update {
			fmt.Fprintln(stderr, "lambdascan db build: --from is required")
			return exitError
		}
		from = multiFlag{vulndb.DefaultBaseURL}
	}
	if *out == "" {
		fmt.Fprintln(stderr, "lambdascan db build: --out is required")
		return exitError
	}
	start := time.Now()
	info, err := vulndb.BuildFile(ctx, vulndb.BuildOptions{Sources: from, Ecosystems: splitList(*ecos)}, *out)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan %s: %v\n", name, err)
		return exitError
	}
	fmt.Fprintf(stdout, "wrote %s: version %s, %d packages, %d withdrawn skipped, %d malformed skipped, %s\n",
		*out, info.Version, info.Keys, info.Skipped.Withdrawn, info.Skipped.Malformed, time.Since(start).Round(time.Millisecond))
	for _, f := range feeds.Names {
		if in, ok := info.Feeds[f]; ok {
			fmt.Fprintf(stdout, "  feed %s: %d records, dated %s\n", f, in.Count, in.Date)
		}
	}
	return exitOK
}

func dbInfo(args []string, stdout, stderr io.Writer) int {
	path := defaultDBPath()
	if len(args) > 0 {
		path = args[0]
	}
	db, err := vulndb.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan db info: %v\n", err)
		return exitError
	}
	defer db.Close()
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(db.Info()); err != nil {
		return exitError
	}
	return exitOK
}
