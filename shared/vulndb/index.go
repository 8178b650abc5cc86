package vulndb

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lambdascan/lambdascan/shared/ecosystem"
	"github.com/lambdascan/lambdascan/shared/feeds"
)

// File layout (all integers little-endian):
//
//	magic "LSVDB\x00\x01\n"            8 bytes
//	header length                      uint32
//	header (JSON, Info)
//	entry table: N x {keyOff uint32, keyLen uint32, blockOff uint64, blockLen uint32, crc32 uint32}
//	key blob: the sorted keys back to back
//	blocks: one raw-DEFLATE JSON array of Advisory per key
//
// Opening reads the header, the entry table and the key blob (a few MB for
// all of OSV); a lookup is a binary search and one ReadAt of one block.
const (
	magic     = "LSVDB\x00\x01\n"
	entrySize = 24
	// FormatVersion changes when the layout or Advisory changes incompatibly.
	FormatVersion = 2
)

// Named errors of the index file.
var (
	ErrNotIndex = errors.New("not a lambdascan vuln index")
	ErrCorrupt  = errors.New("corrupt vuln index")
)

// Info is the index header: what it holds and which version it is.
type Info struct {
	Format      int                      `json:"format"`
	Version     string                   `json:"version"`      // "<built>-<hash12>", the DB version in reports
	ContentHash string                   `json:"content_hash"` // sha256 over keys and blocks
	BuiltAt     time.Time                `json:"built_at"`
	Sources     []string                 `json:"sources"`
	Ecosystems  map[string]EcosystemInfo `json:"ecosystems"`
	Keys        int                      `json:"keys"`
	Skipped     SkipCounts               `json:"skipped"`
	// Feeds: NVD, KEV and EPSS as ingested (date, count, and the error of a
	// failed refresh whose previous data was kept).
	Feeds   map[string]feeds.Info `json:"feeds,omitempty"`
	BlobLen int64                 `json:"blob_len"` // the table and blob sections follow the header
}

// EcosystemInfo counts what one ecosystem contributed.
type EcosystemInfo struct {
	Records  int `json:"records"`
	Packages int `json:"packages"`
}

// SkipCounts says what the ingest left out, and why.
type SkipCounts struct {
	Withdrawn int `json:"withdrawn"`
	Malformed int `json:"malformed"`
}

// writeIndex writes the index for the advisories grouped by key.
func writeIndex(w io.Writer, groups map[string][]Advisory, info Info) (Info, error) {
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)

	// Compress blocks first: the table needs their sizes, and the content hash
	// covers keys and blocks, so identical data gives an identical hash.
	var blocks bytes.Buffer
	var blob bytes.Buffer
	table := make([]byte, 0, len(keys)*entrySize)
	h := sha256.New()
	fw, _ := flate.NewWriter(nil, flate.BestCompression)
	for _, k := range keys {
		advs := groups[k]
		sort.Slice(advs, func(i, j int) bool { return advs[i].ID < advs[j].ID })
		raw, err := json.Marshal(advs)
		if err != nil {
			return info, err
		}
		start := blocks.Len()
		fw.Reset(&blocks)
		if _, err := fw.Write(raw); err != nil {
			return info, err
		}
		if err := fw.Close(); err != nil {
			return info, err
		}
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write(raw)
		table = binary.LittleEndian.AppendUint32(table, uint32(blob.Len()))
		table = binary.LittleEndian.AppendUint32(table, uint32(len(k)))
		table = binary.LittleEndian.AppendUint64(table, uint64(start))
		table = binary.LittleEndian.AppendUint32(table, uint32(blocks.Len()-start))
		table = binary.LittleEndian.AppendUint32(table, crc32.ChecksumIEEE(raw))
		blob.WriteString(k)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	info.Format = FormatVersion
	info.ContentHash = "sha256:" + sum
	info.Version = info.BuiltAt.UTC().Format("20060102T150405Z") + "-" + sum[:12]
	info.Keys = len(keys)

	info.BlobLen = int64(blob.Len())
	hb, err := json.Marshal(info)
	if err != nil {
		return info, err
	}
	var lenBuf [4]byte
	binary.LittleEndian.PutUint32(lenBuf[:], uint32(len(hb)))
	for _, part := range [][]byte{[]byte(magic), lenBuf[:], hb, table, blob.Bytes(), blocks.Bytes()} {
		if _, err := w.Write(part); err != nil {
			return info, err
		}
	}
	return info, nil
}

// DB is an open index. It is safe for concurrent use.
type DB struct {
	r      io.ReaderAt
	closer io.Closer
	info   Info
	table  []byte
	blob   []byte
	base   int64 // offset of the blocks section

	mu    sync.Mutex
	cache map[string][]Advisory
}

// Open opens an index file.
func Open(path string) (*DB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("vulndb: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	db, err := OpenReader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	db.closer = f
	return db, nil
}

// OpenReader opens an index from any random-access reader of the given size.
func OpenReader(r io.ReaderAt, size int64) (*DB, error) {
	pre := make([]byte, len(magic)+4)
	if size < int64(len(pre)) {
		return nil, ErrNotIndex
	}
	if _, err := r.ReadAt(pre, 0); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if string(pre[:len(magic)]) != magic {
		return nil, ErrNotIndex
	}
	hlen := int64(binary.LittleEndian.Uint32(pre[len(magic):]))
	if hlen <= 0 || hlen > size || hlen > 1<<20 {
		return nil, fmt.Errorf("%w: header length %d", ErrCorrupt, hlen)
	}
	hb := make([]byte, hlen)
	if _, err := r.ReadAt(hb, int64(len(pre))); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	var hdr Info
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if hdr.Format != FormatVersion {
		return nil, fmt.Errorf("%w: format %d, this build reads %d", ErrCorrupt, hdr.Format, FormatVersion)
	}
	// Each bound is checked against what is left of the file, so no sum of
	// header values can overflow.
	tableOff := int64(len(pre)) + hlen
	rest := size - tableOff
	if hdr.Keys < 0 || int64(hdr.Keys) > rest/entrySize {
		return nil, fmt.Errorf("%w: %d keys do not fit the file", ErrCorrupt, hdr.Keys)
	}
	tableLen := int64(hdr.Keys) * entrySize
	if hdr.BlobLen < 0 || hdr.BlobLen > rest-tableLen {
		return nil, fmt.Errorf("%w: key section does not fit the file", ErrCorrupt)
	}
	both := make([]byte, tableLen+hdr.BlobLen)
	if _, err := r.ReadAt(both, tableOff); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	db := &DB{r: r, info: hdr, table: both[:tableLen], blob: both[tableLen:], base: tableOff + tableLen + hdr.BlobLen, cache: map[string][]Advisory{}}
	// Validate every entry once so lookups cannot slice out of range.
	// Validate every entry once, so lookups cannot slice out of range, and
	// the key order, so the binary search cannot silently miss a package.
	blocks := size - db.base
	prev := ""
	for i := 0; i < hdr.Keys; i++ {
		ko, kl, bo, bl := db.entry(i)
		if ko > int64(len(db.blob)) || kl > int64(len(db.blob))-ko || bo < 0 || bl < 0 || bo > blocks || bl > blocks-bo {
			return nil, fmt.Errorf("%w: entry %d out of bounds", ErrCorrupt, i)
		}
		k := db.key(i)
		if i > 0 && k <= prev {
			return nil, fmt.Errorf("%w: keys out of order at entry %d", ErrCorrupt, i)
		}
		prev = k
	}
	return db, nil
}

func (db *DB) entry(i int) (keyOff, keyLen, blockOff, blockLen int64) {
	e := db.table[i*entrySize : (i+1)*entrySize]
	return int64(binary.LittleEndian.Uint32(e[0:])), int64(binary.LittleEndian.Uint32(e[4:])),
		int64(binary.LittleEndian.Uint64(e[8:])), int64(binary.LittleEndian.Uint32(e[16:]))
}

func (db *DB) key(i int) string {
	ko, kl, _, _ := db.entry(i)
	return string(db.blob[ko : ko+kl])
}

// Covers reports whether the index was built with data for the ecosystem.
func (db *DB) Covers(eco string) bool {
	_, ok := db.info.Ecosystems[ecosystem.Base(eco)]
	return ok
}

// Info describes the index.
func (db *DB) Info() Info { return db.info }

// Close releases the file.
func (db *DB) Close() error {
	if db.closer != nil {
		return db.closer.Close()
	}
	return nil
}

// Lookup returns the advisories for a package, each with only the affected
// entries of that package. Unknown packages return nil, nil.
func (db *DB) Lookup(ecosystem, name string) ([]Advisory, error) {
	k := Key(ecosystem, name)
	db.mu.Lock()
	if a, ok := db.cache[k]; ok {
		db.mu.Unlock()
		return a, nil
	}
	db.mu.Unlock()
	n := len(db.table) / entrySize
	i := sort.Search(n, func(i int) bool { return db.key(i) >= k })
	if i == n || db.key(i) != k {
		return nil, nil
	}
	_, _, bo, bl := db.entry(i)
	comp := make([]byte, bl)
	if _, err := db.r.ReadAt(comp, db.base+bo); err != nil {
		return nil, fmt.Errorf("%w: reading block: %v", ErrCorrupt, err)
	}
	fr := flate.NewReader(bytes.NewReader(comp))
	defer fr.Close()
	// Blocks are small; the limit guards against a crafted file.
	raw, err := io.ReadAll(io.LimitReader(fr, 64<<20))
	where := strings.ReplaceAll(k, "\x00", "/")
	if err != nil {
		return nil, fmt.Errorf("%w: block for %q: %v", ErrCorrupt, where, err)
	}
	if crc32.ChecksumIEEE(raw) != binary.LittleEndian.Uint32(db.table[i*entrySize+20:]) {
		return nil, fmt.Errorf("%w: block for %q fails its checksum", ErrCorrupt, where)
	}
	var advs []Advisory
	if err := json.Unmarshal(raw, &advs); err != nil {
		return nil, fmt.Errorf("%w: block for %q: %v", ErrCorrupt, where, err)
	}
	db.mu.Lock()
	db.cache[k] = advs
	db.mu.Unlock()
	return advs, nil
}
