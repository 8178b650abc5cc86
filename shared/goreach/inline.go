package goreach

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Layout facts of the runtime's tables (runtime/symtab.go, runtime2.go,
// symtabinl.go, internal/abi/symtab.go), by pcHeader magic.
const (
	magic118 = 0xfffffff0 // Go 1.18, 1.19
	magic120 = 0xfffffff1 // Go 1.20 and later

	pcdataInlTreeIndex = 2
	funcdataInlTree    = 3

	maxInlineEntries = 1 << 16 // per function; a bound against crafted input
)

var errNoInline = errors.New("inline trees not readable")

// header is the part of the pcHeader the inline walk needs.
type header struct {
	magic              uint32
	ptrSize            int
	nfunc              int
	funcnameOff, pcOff int // offsets of funcnametab and pctab in the table
	pclnOff            int // offset of the function table (ftab, _func)
}

func readHeader(tab []byte, order binary.ByteOrder) (header, error) {
	if len(tab) < 8 {
		return header{}, errNoInline
	}
	h := header{magic: order.Uint32(tab), ptrSize: int(tab[7])}
	if (h.magic != magic118 && h.magic != magic120) || (h.ptrSize != 4 && h.ptrSize != 8) {
		return header{}, fmt.Errorf("%w: pclntab magic %#x", errNoInline, h.magic)
	}
	word := func(i int) (int, bool) {
		off := 8 + i*h.ptrSize
		if off+h.ptrSize > len(tab) {
			return 0, false
		}
		var v uint64
		if h.ptrSize == 8 {
			v = order.Uint64(tab[off:])
		} else {
			v = uint64(order.Uint32(tab[off:]))
		}
		if v > uint64(len(tab)) {
			return 0, false
		}
		return int(v), true
	}
	// Words: nfunc, nfiles, textStart, funcnameOffset, cuOffset,
	// filetabOffset, pctabOffset, pclnOffset.
	var ok [4]bool
	h.nfunc, ok[0] = word(0)
	h.funcnameOff, ok[1] = word(3)
	h.pcOff, ok[2] = word(6)
	h.pclnOff, ok[3] = word(7)
	if ok != [4]bool{true, true, true, true} {
		return header{}, fmt.Errorf("%w: pcHeader out of bounds", errNoInline)
	}
	return h, nil
}

// inlinedNames lists the functions inlined into others, from each
// function's inline tree (FUNCDATA_InlTree). The trees live at offsets from
// runtime.moduledata's gofunc, which a stripped binary no longer names: the
// moduledata is found in the data sections as the word that points at the
// pclntab, followed by a funcnametab slice that points where the header says.
func inlinedNames(x *exe) ([]string, error) {
	h, err := readHeader(x.pclntab, x.order)
	if err != nil {
		return nil, err
	}
	gofunc, err := findGofunc(x, h)
	if err != nil {
		return nil, err
	}
	sec, ok := x.sectionAt(gofunc)
	if !ok {
		return nil, fmt.Errorf("%w: go:func.* at %#x is in no section", errNoInline, gofunc)
	}
	ro, err := sec.read()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoInline, err)
	}
	tab, order := x.pclntab, x.order
	u32 := func(off int) (uint32, bool) {
		if off < 0 || off+4 > len(tab) {
			return 0, false
		}
		return order.Uint32(tab[off:]), true
	}
	funcHdr, entrySize, nameAt := 44, 16, 4 // Go 1.20+: _func has startLine; inlinedCall is 16 bytes
	if h.magic == magic118 {
		funcHdr, entrySize, nameAt = 40, 20, 12
	}
	seen := map[int32]bool{}
	var names []string
	for i := 0; i < h.nfunc; i++ {
		funcOff, ok := u32(h.pclnOff + i*8 + 4) // ftab: {entryOff, funcOff}
		if !ok {
			return nil, fmt.Errorf("%w: ftab out of bounds", errNoInline)
		}
		fn := h.pclnOff + int(funcOff)
		npcdata, ok1 := u32(fn + 28)
		if !ok1 || fn+funcHdr > len(tab) {
			return nil, fmt.Errorf("%w: _func out of bounds", errNoInline)
		}
		nfuncdata := int(tab[fn+funcHdr-1])
		if npcdata <= pcdataInlTreeIndex || nfuncdata <= funcdataInlTree || npcdata > 1<<10 {
			continue
		}
		pcOff, ok1 := u32(fn + funcHdr + 4*pcdataInlTreeIndex)
		fdOff, ok2 := u32(fn + funcHdr + 4*int(npcdata) + 4*funcdataInlTree)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: _func out of bounds", errNoInline)
		}
		if pcOff == 0 || fdOff == ^uint32(0) {
			continue
		}
		n, err := maxPCValue(tab, h.pcOff+int(pcOff))
		if err != nil {
			return nil, err
		}
		start := gofunc + uint64(fdOff) - sec.va
		for j := 0; j <= n; j++ {
			at := start + uint64(j*entrySize+nameAt)
			if at+4 > uint64(len(ro)) {
				return nil, fmt.Errorf("%w: inline tree out of bounds", errNoInline)
			}
			nameOff := int32(order.Uint32(ro[at:]))
			if seen[nameOff] {
				continue
			}
			seen[nameOff] = true
			name, ok := cstring(tab, h.funcnameOff+int(nameOff))
			if !ok {
				return nil, fmt.Errorf("%w: inlined function name out of bounds", errNoInline)
			}
			names = append(names, name)
		}
	}
	return names, nil
}

// findGofunc locates runtime.firstmoduledata and returns its gofunc field.
func findGofunc(x *exe, h header) (uint64, error) {
	ps := uint64(h.ptrSize)
	// moduledata words: pcHeader, funcnametab (3), cutab (3), filetab (3),
	// pctab (3), pclntable (3), ftab (3), findfunctab, minpc, maxpc, text,
	// etext, noptrdata, enoptrdata, data, edata, bss, ebss, noptrbss,
	// enoptrbss, [covctrs, ecovctrs since Go 1.20], end, gcdata, gcbss,
	// types, etypes, rodata, gofunc.
	gofuncWord := uint64(38)
	if h.magic == magic120 {
		gofuncWord = 40
	}
	for _, s := range x.data {
		data, err := s.read()
		if err != nil {
			continue
		}
		word := func(off uint64) uint64 {
			if ps == 8 {
				return x.order.Uint64(data[off:])
			}
			return uint64(x.order.Uint32(data[off:]))
		}
		var want [8]byte
		if ps == 8 {
			x.order.PutUint64(want[:], x.pclnVA)
		} else {
			x.order.PutUint32(want[:], uint32(x.pclnVA))
		}
		for off := 0; ; {
			i := bytes.Index(data[off:], want[:ps])
			if i < 0 {
				break
			}
			at := uint64(off + i)
			off += i + 1
			if at%ps != 0 || at+(gofuncWord+1)*ps > uint64(len(data)) {
				continue
			}
			if word(at+ps) != x.pclnVA+uint64(h.funcnameOff) {
				continue // not the moduledata: its funcnametab follows the header
			}
			return word(at + gofuncWord*ps), nil
		}
	}
	return 0, fmt.Errorf("%w: runtime.moduledata not found", errNoInline)
}

// maxPCValue decodes a pc-value table (zig-zag varint value deltas, each
// followed by a pc delta; a zero value delta after the first ends it) and
// returns the largest value, the last index of the inline tree.
func maxPCValue(tab []byte, off int) (int, error) {
	if off < 0 || off >= len(tab) {
		return 0, fmt.Errorf("%w: pc-value table out of bounds", errNoInline)
	}
	p := tab[off:]
	val, top := int64(-1), int64(-1)
	for first := true; ; first = false {
		uv, n := binary.Uvarint(p)
		if n <= 0 {
			return 0, fmt.Errorf("%w: bad pc-value table", errNoInline)
		}
		p = p[n:]
		if uv == 0 && !first {
			break
		}
		if uv&1 != 0 {
			val += int64(^(uv >> 1))
		} else {
			val += int64(uv >> 1)
		}
		top = max(top, val)
		if _, n = binary.Uvarint(p); n <= 0 {
			return 0, fmt.Errorf("%w: bad pc-value table", errNoInline)
		}
		p = p[n:]
	}
	if top >= maxInlineEntries {
		return 0, fmt.Errorf("%w: inline tree of %d entries", errNoInline, top+1)
	}
	return int(top), nil
}

func cstring(b []byte, off int) (string, bool) {
	if off < 0 || off >= len(b) {
		return "", false
	}
	end := bytes.IndexByte(b[off:], 0)
	if end < 0 {
		return "", false
	}
	return string(b[off : off+end]), true
}
