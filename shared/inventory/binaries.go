package inventory

import (
	"bytes"
	"io"
	"io/fs"

	"github.com/google/osv-scalibr/extractor/filesystem"
)

// binaryOnly narrows a binary extractor (Go build info, cargo-auditable) to
// files that start with an executable's magic number. osv-scalibr selects
// candidates by name and mode, which in a vendored Ruby or Python tree means
// most files; inside a zip each one would be inflated in full for nothing.
type binaryOnly struct {
	filesystem.Extractor
	fsys fs.FS
}

// Peeker reads the first bytes of a file cheaply (archive.FS inflates only
// the first deflate block).
type Peeker interface {
	Peek(name string, n int) ([]byte, error)
}

var magics = [][]byte{
	[]byte("\x7fELF"),        // Linux
	[]byte("MZ"),             // Windows PE
	{0xfe, 0xed, 0xfa, 0xce}, // Mach-O 32
	{0xfe, 0xed, 0xfa, 0xcf}, // Mach-O 64
	{0xce, 0xfa, 0xed, 0xfe}, // Mach-O 32, little-endian
	{0xcf, 0xfa, 0xed, 0xfe}, // Mach-O 64, little-endian
	{0xca, 0xfe, 0xba, 0xbe}, // Mach-O universal
}

func (b binaryOnly) FileRequired(api filesystem.FileAPI) bool {
	return b.Extractor.FileRequired(api) && looksExecutable(b.fsys, api.Path())
}

func looksExecutable(fsys fs.FS, name string) bool {
	var head []byte
	if p, ok := fsys.(Peeker); ok {
		h, err := p.Peek(name, 4)
		if err != nil {
			return true // let the extractor meet (and report) the problem
		}
		head = h
	} else {
		f, err := fsys.Open(name)
		if err != nil {
			return true
		}
		defer f.Close()
		h := make([]byte, 4)
		n, _ := io.ReadFull(f, h)
		head = h[:n]
	}
	for _, m := range magics {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	return false
}
