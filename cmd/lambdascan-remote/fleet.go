package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambdascan/lambdascan/internal/fleetcli"
	"github.com/lambdascan/lambdascan/internal/scancli"
	"github.com/lambdascan/lambdascan/shared/awsenv"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/findings"
)

// defaultFindingsTable is the deployed findings store's name (cdk/lambdascan).
const defaultFindingsTable = contract.FindingsTableName

// findingsTable opens the findings store read-only (credentials: package awsenv).
var findingsTable = func(name string) (*findings.Table, error) {
	cfg, ep, err := awsenv.Config("")
	if err != nil {
		return nil, err
	}
	ddb := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	return &findings.Table{DDB: ddb, Name: name, Compare: fleetcli.CompareVersions}, nil
}

func tableFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("LAMBDASCAN_FINDINGS_TABLE")
	if def == "" {
		def = defaultFindingsTable
	}
	return fs.String("table", def, "findings store table (default $LAMBDASCAN_FINDINGS_TABLE or "+defaultFindingsTable+")")
}

// Help of the fleet commands (lambdascan runs them here).
var (
	affectedHelp = scancli.Help{
		Usage: "lambdascan affected [flags] QUERY",
		Short: "Which deployed function versions, in which accounts and regions, are affected by an advisory or ship a package: one query of the findings store, with fix versions.",
		Sections: []scancli.Section{
			{Title: "QUERY", Body: `  CVE-2023-32681, GHSA-…, GO-…, PYSEC-…  an advisory id or any of its aliases
  requests, requests@2.25.0             a package, any version or one version
  requests@<2.31.0                      a package in a version range
  pkg:pypi/requests@2.25.0              a purl
  arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION  the functions sharing a layer version, and its findings`},
			{Title: "Exit codes", Body: "  0  answered (also with no rows)\n  2  error (bad query or flag, AWS error)"},
			{Title: "Permissions", Body: "  dynamodb:Query on the findings table and its indexes (environment credentials)"},
		},
		Examples: []string{
			"lambdascan affected CVE-2023-32681",
			"lambdascan affected --format json GO-2024-2687",
			"lambdascan affected 'requests@<2.31.0'",
			"lambdascan affected arn:aws:lambda:eu-west-1:123456789012:layer:shared-deps:7",
		},
	}
	findingsHelp = scancli.Help{
		Usage: "lambdascan findings [flags]",
		Short: "List the fleet's open findings from the findings store.",
		Sections: []scancli.Section{
			{Title: "Exit codes", Body: "  0  answered (also with no rows)\n  2  error (bad flag, AWS error)"},
			{Title: "Permissions", Body: "  dynamodb:Query on the findings table and its indexes (environment credentials)"},
		},
		Examples: []string{
			"lambdascan findings --severity critical,high",
			"lambdascan findings --kev",
			"lambdascan findings --function billing --format json",
		},
	}
)

// cmdAffected answers "which function versions are affected by this
// advisory, or ship this package": one query of the findings store.
func cmdAffected(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("affected", flag.ContinueOnError)
	format := fs.String("format", fleetcli.FormatTable, "output `FORMAT`: table|json")
	table := tableFlag(fs)
	rest, code, ok := scancli.Flags("lambdascan affected", affectedHelp, fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) != 1 {
		fmt.Fprint(stderr, "usage: lambdascan affected [--format table|json] <CVE|GHSA|GO|PYSEC…-ID | package[@version|@<range>] | purl | layer version ARN>\n")
		return scancli.ExitError
	}
	q, err := findings.ParseQuery(rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan affected: %v\n", err)
		return scancli.ExitError
	}
	if *format != fleetcli.FormatTable && *format != fleetcli.FormatJSON {
		fmt.Fprintf(stderr, "lambdascan affected: unknown format %q (table or json)\n", *format)
		return scancli.ExitError
	}
	tbl, err := findingsTable(*table)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan affected: %v\n", err)
		return scancli.ExitError
	}
	rows, err := tbl.Affected(ctx, q)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan affected: %v\n", err)
		return scancli.ExitError
	}
	if err := fleetcli.Write(stdout, fleetcli.Lines(rows), *format); err != nil {
		fmt.Fprintf(stderr, "lambdascan affected: %v\n", err)
		return scancli.ExitError
	}
	return scancli.ExitOK
}

// cmdFindings lists the fleet's open findings.
func cmdFindings(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("findings", flag.ContinueOnError)
	format := fs.String("format", fleetcli.FormatTable, "output format: table|json")
	table := tableFlag(fs)
	function := fs.String("function", "", "one function: its ARN, or its name in any account and region")
	severity := fs.String("severity", "", "only these severities, comma-separated: critical,high,medium,low,unknown")
	kev := fs.Bool("kev", false, "only findings in CISA's Known Exploited Vulnerabilities catalog")
	rest, code, ok := scancli.Flags("lambdascan findings", findingsHelp, fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) != 0 {
		fmt.Fprintf(stderr, "lambdascan findings: unexpected argument %q\n", rest[0])
		return scancli.ExitError
	}
	f := findings.Filter{KEV: *kev}
	for _, s := range strings.Split(*severity, ",") {
		l := lower(s)
		if l == "" {
			continue
		}
		if !slices.Contains(findings.Levels, l) {
			fmt.Fprintf(stderr, "lambdascan findings: unknown severity %q\n", s)
			return scancli.ExitError
		}
		f.Severities = append(f.Severities, l)
	}
	if strings.HasPrefix(*function, "arn:") {
		f.FunctionARN = *function
	} else {
		f.Function = *function
	}
	if *format != fleetcli.FormatTable && *format != fleetcli.FormatJSON {
		fmt.Fprintf(stderr, "lambdascan findings: unknown format %q (table or json)\n", *format)
		return scancli.ExitError
	}
	tbl, err := findingsTable(*table)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan findings: %v\n", err)
		return scancli.ExitError
	}
	rows, err := tbl.Findings(ctx, f)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan findings: %v\n", err)
		return scancli.ExitError
	}
	if err := fleetcli.Write(stdout, fleetcli.Lines(rows), *format); err != nil {
		fmt.Fprintf(stderr, "lambdascan findings: %v\n", err)
		return scancli.ExitError
	}
	return scancli.ExitOK
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
