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
	"github.com/lambdascan/lambdascan/shared/awsenv"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/findings"
	"github.com/lambdascan/lambdascan/shared/scancli"
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
	return &findings.Table{DDB: ddb, Name: name}, nil
}

func tableFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("LAMBDASCAN_FINDINGS_TABLE")
	if def == "" {
		def = defaultFindingsTable
	}
	return fs.String("table", def, "findings store table (default $LAMBDASCAN_FINDINGS_TABLE or "+defaultFindingsTable+")")
}

// cmdAffected answers "which function versions are affected by this
// advisory, or ship this package": one query of the findings store.
func cmdAffected(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("affected", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", fleetcli.FormatTable, "output format: table|json")
	table := tableFlag(fs)
	rest, err := scancli.ParseInterspersed(fs, args)
	if err != nil {
		return scancli.ExitError
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
	fs.SetOutput(stderr)
	format := fs.String("format", fleetcli.FormatTable, "output format: table|json")
	table := tableFlag(fs)
	function := fs.String("function", "", "one function: its ARN, or its name in any account and region")
	severity := fs.String("severity", "", "only these severities, comma-separated: critical,high,medium,low,unknown")
	kev := fs.Bool("kev", false, "only findings in CISA's Known Exploited Vulnerabilities catalog")
	rest, err := scancli.ParseInterspersed(fs, args)
	if err != nil {
		return scancli.ExitError
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
