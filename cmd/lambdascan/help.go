package main

import (
	"flag"
	"io"

	"github.com/lambdascan/lambdascan/internal/scancli"
)

// Every command's --help; `scan` is scancli.ScanHelp (both binaries show it).
var (
	rootHelp = scancli.Help{
		Usage: "lambdascan COMMAND [flags]",
		Short: `Agentless vulnerability scanning for AWS Lambda: deployment zips, layers, container images and
deployed functions, matched against an OSV index on this machine.

Commands:
  scan        scan a zip, layer zip, directory, image or deployed function (ARN)
  db build    build the vulnerability DB from OSV export folders or URLs
  db update   download the OSV exports into the default DB
  db info     show a DB's version and counts
  bulk start  start the deployed bulk workflow (every function of accounts and regions)
  status      recent executions of the deployed state machines
  replay      redrive or restart failed executions
  affected    which deployed functions an advisory or package affects (findings store)
  findings    the fleet's open findings (findings store)
  version     print the version

Run 'lambdascan COMMAND --help' for a command's flags.`,
		Sections: append(append([]scancli.Section(nil), scancli.ScanHelp.Sections[:2]...), scancli.Section{Title: "Exit codes", Body: scancli.ExitCodes}),
		Examples: []string{
			"lambdascan db update",
			"lambdascan scan function.zip",
			"lambdascan scan --format html --output report.html function.zip",
			"lambdascan scan arn:aws:lambda:eu-west-1:123456789012:function:billing",
			"lambdascan bulk start --organization --wait",
		},
	}
	dbHelp = scancli.Help{
		Usage: "lambdascan db build|update|info [flags]",
		Short: `Manage the vulnerability DB: one file holding the OSV advisories of the scanner's ecosystems.

Commands:
  db build --from DIR|URL [--from ...] --out FILE   build from OSV export folders or base URLs
  db update [--from URL] [--out FILE]               download the OSV exports into the default DB
  db info [FILE]                                    show a DB's version and counts`,
		Sections: []scancli.Section{{Title: "Default DB", Body: "  $LAMBDASCAN_DB, else <user cache dir>/lambdascan/osv.lsdb"},
			{Title: "Exit codes", Body: "  0  done\n  2  error (bad arguments, unreadable source, missing DB)"}},
		Examples: []string{
			"lambdascan db update",
			"lambdascan db build --from ../shared/osv --out osv.lsdb",
			"lambdascan db build --from https://osv-vulnerabilities.storage.googleapis.com --ecosystems npm,PyPI --out osv.lsdb",
			"lambdascan db info osv.lsdb",
		},
	}
	dbBuildHelp = scancli.Help{
		Usage: "lambdascan db build --from DIR|URL [--from ...] [--ecosystems a,b] --out FILE",
		Short: `Build the vulnerability DB from OSV exports: folders laid out as <Ecosystem>/all.zip or
<Ecosystem>/*.json, or HTTP(S) base URLs of the same layout. Repeat --from to merge sources
(the newer "modified" wins); withdrawn records are skipped.`,
		Sections: dbHelp.Sections[1:],
		Examples: []string{
			"lambdascan db build --from ../shared/osv --out osv.lsdb",
			"lambdascan db build --from ../shared/osv --from ../shared/osv-derived --out osv.lsdb",
			"lambdascan db build --from https://osv-vulnerabilities.storage.googleapis.com --ecosystems Go --out go.lsdb",
		},
	}
	dbUpdateHelp = scancli.Help{
		Usage:    "lambdascan db update [--from URL] [--ecosystems a,b] [--out FILE]",
		Short:    "Download the OSV exports of the scanner's ecosystems and build the default DB ($LAMBDASCAN_DB,\nelse <user cache dir>/lambdascan/osv.lsdb), which `lambdascan scan` uses without --db.",
		Sections: dbHelp.Sections[1:],
		Examples: []string{
			"lambdascan db update",
			"lambdascan db update --ecosystems npm,PyPI",
			"lambdascan db update --out ./osv.lsdb",
		},
	}
	dbInfoHelp = scancli.Help{
		Usage:    "lambdascan db info [FILE]",
		Short:    "Print a DB's header as JSON: version, build time, content hash, packages per ecosystem.",
		Sections: dbHelp.Sections,
		Examples: []string{"lambdascan db info", "lambdascan db info osv.lsdb", "LAMBDASCAN_DB=./osv.lsdb lambdascan db info"},
	}
	bulkHelp = scancli.Help{
		Usage: "lambdascan bulk start [flags]",
		Short: `Start the deployed lambdascan-bulk state machine: list every function of the accounts and
regions and scan each one (cached results are reused unless --force). Needs AWS_REGION and
credentials in the environment, for the account the stack is deployed in.`,
		Sections: []scancli.Section{{Title: "Exit codes", Body: "  0  started (with --wait: succeeded)\n  1  with --wait: the run failed, timed out or was aborted\n  2  error (bad arguments, no credentials, stack not deployed)"}},
		Examples: []string{
			"lambdascan bulk start",
			"lambdascan bulk start --regions eu-west-1,us-east-1 --exclude 'test-*' --wait",
			"lambdascan bulk start --organization --no-tags",
			"lambdascan bulk start --accounts 111111111111,222222222222 --force",
		},
	}
	statusHelp = scancli.Help{
		Usage:    "lambdascan status [--limit N]",
		Short:    "List recent executions of the deployed state machines (lambdascan-bulk, lambdascan-scan), with\nthe map-run progress of bulk runs. Needs AWS_REGION and credentials in the environment.",
		Sections: []scancli.Section{{Title: "Exit codes", Body: "  0  listed\n  2  error (no credentials, stack not deployed)"}},
		Examples: []string{"lambdascan status", "lambdascan status --limit 50", "AWS_PROFILE=audit lambdascan status"},
	}
	replayHelp = scancli.Help{
		Usage: "lambdascan replay [--since 24h] [--dry-run]",
		Short: `Redrive failed executions of both state machines that stopped within --since (a redrive
resumes at the failed state), or start them again when they cannot be redriven. Needs AWS_REGION
and credentials in the environment.`,
		Sections: []scancli.Section{{Title: "Exit codes", Body: "  0  every execution replayed (or listed, with --dry-run)\n  2  error, or an execution could not be replayed"}},
		Examples: []string{"lambdascan replay --dry-run", "lambdascan replay --since 72h", "lambdascan replay"},
	}
	versionHelp = scancli.Help{
		Usage:    "lambdascan version",
		Short:    "Print the scanner's name and version.",
		Examples: []string{"lambdascan version", "lambdascan --version", "bin/lambdascan-remote scan --help   # the companion takes scan's flags"},
	}
)

// parseFlags parses a command's arguments; when ok is false the command
// ends with code (0 after --help).
func parseFlags(name string, h scancli.Help, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) ([]string, int, bool) {
	return scancli.Flags("lambdascan "+name, h, fs, args, stdout, stderr)
}
