// Package goreach reads which functions a Go binary links, from its function
// table (pclntab), and ranks Go advisories by how much of their vulnerable
// code the binary holds, with govulncheck's levels. The table survives
// `-ldflags="-s -w"` and strip, so this works where symbol tables are gone.
package goreach

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"debug/gosym"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// ErrNoTable means the binary's function table could not be found or read.
var ErrNoTable = errors.New("no readable Go function table")

// Table is the set of functions a Go binary links, by package path.
type Table struct {
	pkgs map[string]map[string]bool // package path -> "Func" / "Type.Method"
	// Funcs counts the functions in the table (inlined copies excluded).
	Funcs int
	// Inlined says the inline trees were read too. Without them a function
	// inlined at every call site is invisible, so its absence proves nothing.
	Inlined bool
	// GOOS and GOARCH come from the build info ("" when unknown).
	GOOS, GOARCH string
}

// HasPackage says whether any function of the package is linked.
func (t *Table) HasPackage(path string) bool { return len(t.pkgs[path]) > 0 }

// HasSymbol says whether the package's function ("Func", "Type.Method") is
// linked, as a function of its own or inlined into another.
func (t *Table) HasSymbol(path, sym string) bool { return t.pkgs[path][sym] }

// Packages calls fn for every package with linked functions.
func (t *Table) Packages(fn func(path string)) {
	for p := range t.pkgs {
		fn(p)
	}
}

// exe is what the table reader needs of an executable format.
type exe struct {
	order binary.ByteOrder
	// pclntab is the table's bytes and its virtual address.
	pclntab []byte
	pclnVA  uint64
	text    uint64 // start of text, for tables older than Go 1.18
	// data are the writable sections where runtime.firstmoduledata lives.
	data []section
	// sectionAt returns the section holding a virtual address.
	sectionAt func(va uint64) (section, bool)
}

type section struct {
	va   uint64
	size uint64
	read func() ([]byte, error)
}

// Read reads the function table of the Go binary in r. It reads only the
// sections it needs: the table, the writable data (to find the inline
// trees) and the read-only section holding those trees.
func Read(r io.ReaderAt) (t *Table, err error) {
	defer func() {
		// debug/gosym trusts the table's offsets; a crafted binary must
		// cost its reachability, not the scan.
		if p := recover(); p != nil {
			t, err = nil, fmt.Errorf("%w: malformed table: %v", ErrNoTable, p)
		}
	}()
	var head [4]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoTable, err)
	}
	var x *exe
	switch {
	case bytes.Equal(head[:], []byte(elf.ELFMAG)):
		x, err = openELF(r)
	case head[0] == 'M' && head[1] == 'Z':
		x, err = openPE(r)
	default:
		x, err = openMachO(r)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoTable, err)
	}
	t = &Table{pkgs: map[string]map[string]bool{}}
	if bi, err := buildinfo.Read(r); err == nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "GOOS":
				t.GOOS = s.Value
			case "GOARCH":
				t.GOARCH = s.Value
			}
		}
	}
	lt := gosym.NewLineTable(x.pclntab, x.text)
	tab, err := gosym.NewTable(nil, lt)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoTable, err)
	}
	if len(tab.Funcs) == 0 {
		return nil, fmt.Errorf("%w: the table lists no functions", ErrNoTable)
	}
	for i := range tab.Funcs {
		t.add(tab.Funcs[i].Name)
	}
	t.Funcs = len(tab.Funcs)
	// Inline trees: a failure leaves Inlined false, which makes the levels
	// below "symbol" unknown rather than wrong.
	if names, err := inlinedNames(x); err == nil {
		for _, n := range names {
			t.add(n)
		}
		t.Inlined = true
	}
	return t, nil
}

func (t *Table) add(name string) {
	pkg, sym, ok := SplitName(name)
	if !ok {
		return
	}
	m := t.pkgs[pkg]
	if m == nil {
		m = map[string]bool{}
		t.pkgs[pkg] = m
	}
	m[sym] = true
}

// SplitName splits a function's linker name into its package path and the
// symbol as vulnerability records spell it: "net/http.(*Server).Serve" is
// ("net/http", "Server.Serve"), "p.Map[go.shape.int]" is ("p", "Map") and
// "gopkg.in/yaml%2ev2.Unmarshal" is ("gopkg.in/yaml.v2", "Unmarshal"). The
// split follows debug/gosym's package, receiver and base names, as
// govulncheck does, so closures stay "F.func1" and never match "F".
func SplitName(name string) (pkg, sym string, ok bool) {
	name = withoutInstantiation(name)
	if strings.HasPrefix(name, "go:") || strings.HasPrefix(name, "type:") ||
		strings.HasPrefix(name, "go.") || strings.HasPrefix(name, "type.") {
		return "", "", false // compiler-generated
	}
	slash := max(strings.LastIndex(name, "/"), 0)
	dot := strings.Index(name[slash:], ".")
	if dot < 0 {
		return "", "", false
	}
	pkg, rest := name[:slash+dot], name[slash+dot+1:]
	if p, err := url.PathUnescape(pkg); err == nil {
		pkg = p
	}
	if i := strings.LastIndex(rest, "."); i >= 0 {
		recv := strings.Trim(rest[:i], "(*)")
		rest = recv + "." + rest[i+1:]
	}
	return pkg, rest, pkg != "" && rest != ""
}

// withoutInstantiation drops the type arguments of generic instantiations:
// "p.(*List[go.shape.int]).Push" is "p.(*List).Push".
func withoutInstantiation(s string) string {
	if !strings.Contains(s, "[") {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '[':
			depth++
		case r == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func openELF(r io.ReaderAt) (*exe, error) {
	f, err := elf.NewFile(r)
	if err != nil {
		return nil, err
	}
	x := &exe{order: f.ByteOrder}
	tab := f.Section(".gopclntab")
	if tab == nil {
		tab = f.Section(".data.rel.ro.gopclntab") // PIE
	}
	if tab == nil || tab.Type == elf.SHT_NOBITS {
		return nil, errors.New("no .gopclntab section")
	}
	if x.pclntab, err = tab.Data(); err != nil {
		return nil, err
	}
	x.pclnVA = tab.Addr
	if s := f.Section(".text"); s != nil {
		x.text = s.Addr
	}
	mk := func(s *elf.Section) section {
		return section{va: s.Addr, size: s.Size, read: s.Data}
	}
	for _, s := range f.Sections {
		if s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_WRITE != 0 && s.Flags&elf.SHF_ALLOC != 0 {
			x.data = append(x.data, mk(s))
		}
	}
	x.sectionAt = func(va uint64) (section, bool) {
		for _, s := range f.Sections {
			if s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_ALLOC != 0 && va >= s.Addr && va-s.Addr < s.Size {
				return mk(s), true
			}
		}
		return section{}, false
	}
	return x, nil
}

func openMachO(r io.ReaderAt) (*exe, error) {
	f, err := macho.NewFile(r)
	if err != nil {
		return nil, err
	}
	x := &exe{order: f.ByteOrder}
	tab := f.Section("__gopclntab")
	if tab == nil {
		return nil, errors.New("no __gopclntab section")
	}
	if x.pclntab, err = tab.Data(); err != nil {
		return nil, err
	}
	x.pclnVA = tab.Addr
	if s := f.Section("__text"); s != nil {
		x.text = s.Addr
	}
	mk := func(s *macho.Section) section { return section{va: s.Addr, size: s.Size, read: s.Data} }
	for _, s := range f.Sections {
		// runtime.firstmoduledata: __noptrdata, or __go_module since Go 1.26.
		if s.Seg == "__DATA" && s.Flags&0xff != 0x1 /* S_ZEROFILL */ {
			x.data = append(x.data, mk(s))
		}
	}
	x.sectionAt = func(va uint64) (section, bool) {
		for _, s := range f.Sections {
			if va >= s.Addr && va-s.Addr < s.Size && s.Flags&0xff != 0x1 /* S_ZEROFILL */ {
				return mk(s), true
			}
		}
		return section{}, false
	}
	return x, nil
}

func openPE(r io.ReaderAt) (*exe, error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return nil, err
	}
	var base uint64
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		base = uint64(oh.ImageBase)
	case *pe.OptionalHeader64:
		base = oh.ImageBase
	}
	x := &exe{order: binary.LittleEndian}
	mk := func(s *pe.Section) section {
		return section{va: base + uint64(s.VirtualAddress), size: uint64(min(s.VirtualSize, s.Size)), read: s.Data}
	}
	// PE has no pclntab section: the table sits in .rdata and starts with
	// its magic number (Go 1.18 and later); symbols are gone when stripped.
	for _, s := range f.Sections {
		switch s.Name {
		case ".rdata":
			data, err := s.Data()
			if err != nil {
				return nil, err
			}
			if off := findPCHeader(data); off >= 0 {
				x.pclntab = data[off:]
				x.pclnVA = base + uint64(s.VirtualAddress) + uint64(off)
			}
		case ".text":
			x.text = base + uint64(s.VirtualAddress)
		case ".data":
			x.data = append(x.data, mk(s))
		}
	}
	if x.pclntab == nil {
		return nil, errors.New("no pclntab in .rdata")
	}
	x.sectionAt = func(va uint64) (section, bool) {
		for _, s := range f.Sections {
			if sec := mk(s); va >= sec.va && va-sec.va < sec.size {
				return sec, true
			}
		}
		return section{}, false
	}
	return x, nil
}

// findPCHeader finds a Go 1.18+ pcHeader: magic, two zero bytes, the
// instruction quantum and the pointer size.
func findPCHeader(data []byte) int {
	for _, magic := range [][]byte{{0xf1, 0xff, 0xff, 0xff}, {0xf0, 0xff, 0xff, 0xff}} {
		for off := 0; ; {
			i := bytes.Index(data[off:], magic)
			if i < 0 {
				break
			}
			off += i
			if off+8 <= len(data) && data[off+4] == 0 && data[off+5] == 0 &&
				(data[off+6] == 1 || data[off+6] == 2 || data[off+6] == 4) && (data[off+7] == 4 || data[off+7] == 8) {
				return off
			}
			off += 4
		}
	}
	return -1
}
