package inventory

import (
	"fmt"
	"io/fs"
	"path/filepath"
)

// CodeUnreadableEntry: a directory target's entry that is not a regular file
// or directory (FIFO, socket, device) or could not be listed.
const CodeUnreadableEntry = "unreadable_entry"

// dirProblems names what osv-scalibr's walk skips in a directory target
// without a word: symlinks (never followed, so links and loops out of the
// tree cannot be read), FIFOs, sockets and devices (opening a FIFO would
// block), and directories it cannot list. Zips say the same of their entries.
func dirProblems(root string) []Problem {
	var out []Problem
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		rel, rerr := filepath.Rel(root, p)
		if rerr != nil {
			rel = p
		}
		rel = filepath.ToSlash(rel)
		if err != nil {
			out = append(out, Problem{Code: CodeUnreadableEntry, Path: rel, Detail: "not read: " + err.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch t := d.Type(); {
		case t&fs.ModeSymlink != 0:
			out = append(out, Problem{Code: CodeSymlink, Path: rel, Detail: "symlink not followed"})
		case !t.IsDir() && !t.IsRegular():
			out = append(out, Problem{Code: CodeUnreadableEntry, Path: rel, Detail: fmt.Sprintf("%v is not a regular file: not read", t)})
		}
		return nil
	})
	return out
}
