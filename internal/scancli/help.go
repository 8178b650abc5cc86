package scancli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// Help is a command's --help text, laid out as trivy and grype do: usage,
// what it does, flags as --flag, then sections (targets, formats, exit
// codes) and examples.
type Help struct {
	Usage    string // "lambdascan scan [flags] TARGET"
	Short    string // one sentence
	Sections []Section
	Examples []string
}

// Section is a titled block of help ("TARGET", "Exit codes" ...).
type Section struct{ Title, Body string }

// Write prints the help with fs's flags (nil: none).
func (h Help) Write(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage:\n  %s\n\n%s\n", h.Usage, h.Short)
	if fs != nil && hasFlags(fs) {
		fmt.Fprintln(w, "\nFlags:")
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fs.VisitAll(func(f *flag.Flag) {
			arg, usage := flag.UnquoteUsage(f)
			name := "--" + f.Name
			if len(f.Name) == 1 {
				name = "-" + f.Name
			}
			if arg != "" {
				name += " " + arg
			}
			if def := f.DefValue; def != "" && def != "false" && def != "0" && !strings.Contains(usage, "(default") {
				usage += fmt.Sprintf(" (default %s)", def)
			}
			fmt.Fprintf(tw, "  %s\t%s\n", name, usage)
		})
		fmt.Fprintf(tw, "  %s\t%s\n", "-h, --help", "show this help")
		tw.Flush()
	}
	for _, s := range h.Sections {
		fmt.Fprintf(w, "\n%s:\n%s\n", s.Title, strings.TrimRight(s.Body, "\n"))
	}
	if len(h.Examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range h.Examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// Flags parses args with fs, flags before or after the positional
// arguments. When ok is false the command ends with code: 0 after --help
// (printed on stdout), ExitError after a bad flag (named on stderr with the
// valid ones).
func Flags(name string, h Help, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, code int, ok bool) {
	fs.SetOutput(io.Discard) // errors and usage are ours
	fs.Usage = func() {}
	pos, err := ParseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		h.Write(stdout, fs)
		return nil, ExitOK, false
	case err != nil:
		fmt.Fprintf(stderr, "%s: %s\n", name, flagError(err))
		if valid := flagNames(fs); valid != "" {
			fmt.Fprintf(stderr, "valid flags: %s\n", valid)
		}
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", name)
		return nil, ExitError, false
	}
	return pos, ExitOK, true
}

// flagError rewrites the flag package's "-name" to the "--name" users type.
func flagError(err error) string {
	msg := err.Error()
	for _, p := range []string{"flag provided but not defined: -", "flag needs an argument: -", "for flag -", "bad flag syntax: -"} {
		i := strings.Index(msg, p)
		if i < 0 {
			continue
		}
		rest := msg[i+len(p):]
		name, _, _ := strings.Cut(rest, " ")
		name = strings.TrimSuffix(name, ":")
		if len(name) > 1 && !strings.HasPrefix(name, "-") { // -n stays short
			msg = msg[:i+len(p)] + "-" + rest
		}
	}
	return strings.Replace(msg, "flag provided but not defined", "unknown flag", 1)
}

func flagNames(fs *flag.FlagSet) string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) == 1 {
			names = append(names, "-"+f.Name)
		} else {
			names = append(names, "--"+f.Name)
		}
	})
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// BadValue says a flag's value is not one of the valid ones, naming them.
func BadValue(name, flagName, got string, valid []string) string {
	return fmt.Sprintf("%s: unknown --%s %q (valid: %s)", name, flagName, got, strings.Join(valid, ", "))
}

// OpenDB opens the vulnerability index at path; a missing or unreadable one
// is an error that says how to build one.
func OpenDB(path string) (*vulndb.DB, error) {
	db, err := vulndb.Open(path)
	if err == nil {
		return db, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no vulnerability DB at %s\n%s", path, DBHint)
	}
	return nil, fmt.Errorf("%w\n%s", err, DBHint)
}

// DBHint says how to get a vulnerability DB.
const DBHint = `  download the OSV exports into the default DB:  lambdascan db update
  or build one from OSV folders or URLs:          lambdascan db build --from DIR --out FILE
  then pass it with --db FILE or $LAMBDASCAN_DB`

// ExitCodes is the exit-code section every scanning command shows.
const ExitCodes = `  0  no finding at or above --fail-on
  1  at least one finding at or above --fail-on
  2  error: bad arguments, unreadable target, missing DB, failed scan`
