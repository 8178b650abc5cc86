package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/lambdascan/lambdascan/internal/scancli"
	"github.com/lambdascan/lambdascan/shared/feeds"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

func cmdDB(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		dbHelp.Write(stderr, nil)
		return exitError
	}
	switch args[0] {
	case "-h", "--help", "help":
		dbHelp.Write(stdout, nil)
		return exitOK
	case "build":
		return dbBuild(ctx, args[1:], stdout, stderr, false)
	case "update":
		return dbBuild(ctx, args[1:], stdout, stderr, true)
	case "info":
		return dbInfo(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "lambdascan db: unknown command %q (valid: build, update, info)\nRun 'lambdascan db --help' for usage.\n", args[0])
	return exitError
}

func dbBuild(ctx context.Context, args []string, stdout, stderr io.Writer, update bool) int {
	name, help := "db build", dbBuildHelp
	if update {
		name, help = "db update", dbUpdateHelp
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var from multiFlag
	fs.Var(&from, "from", "read OSV exports from `DIR|URL`: a folder with <Ecosystem>/all.zip or <Ecosystem>/*.json (and optionally the feeds nvd/*.json, kev/known_exploited_vulnerabilities.json, epss/*.csv[.gz]), or a base URL (repeatable)")
	ecos := fs.String("ecosystems", "", "keep only these `ECOSYSTEMS`, comma-separated (default: all found, or the scanner's for URLs)")
	out := fs.String("out", "", "write the DB to `FILE`")
	if update {
		*out = defaultDBPath()
	}
	pos, code, ok := parseFlags(name, help, fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "lambdascan %s: unexpected argument %q (sources go in --from)\nRun 'lambdascan %s --help' for usage.\n", name, pos[0], name)
		return exitError
	}
	if len(from) == 0 {
		if !update {
			fmt.Fprintln(stderr, "lambdascan db build: --from is required (an OSV export folder or URL)\nRun 'lambdascan db build --help' for usage.")
			return exitError
		}
		from = multiFlag{vulndb.DefaultBaseURL}
	}
	if *out == "" {
		fmt.Fprintln(stderr, "lambdascan db build: --out is required (the index file to write)\nRun 'lambdascan db build --help' for usage.")
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
	pos, code, ok := parseFlags("db info", dbInfoHelp, flag.NewFlagSet("db info", flag.ContinueOnError), args, stdout, stderr)
	if !ok {
		return code
	}
	path := defaultDBPath()
	switch len(pos) {
	case 0:
	case 1:
		path = pos[0]
	default:
		fmt.Fprintln(stderr, "lambdascan db info: at most one FILE\nRun 'lambdascan db info --help' for usage.")
		return exitError
	}
	db, err := scancli.OpenDB(path)
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
