// Package archive reads a Lambda deployment package (a zip) as a read-only
// filesystem without unpacking it to disk, enforcing zip-bomb, traversal and
// symlink rules. Everything it refuses is recorded as a Problem so a scan can
// report a partial status instead of silently dropping content.
package archive

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	kflate "github.com/klauspost/compress/flate"
)

// Named errors. Callers match them with errors.Is.
var (
	ErrNotZip         = errors.New("not a zip archive")
	ErrCorrupt        = errors.New("corrupt or truncated zip archive")
	ErrZipBomb        = errors.New("zip bomb limit exceeded")
	ErrEntryTooLarge  = errors.New("zip entry exceeds size limit")
	ErrUnsafePath     = errors.New("unsafe path in zip entry")
	ErrSymlinkEntry   = errors.New("symlink entry not followed")
	ErrTooManyEntries = errors.New("zip has too many entries")
	ErrDuplicateEntry = errors.New("more than one zip entry for this path; only the last was read, as unzip and Lambda leave it")
)

// Limits bound what reading one package may cost. Lambda itself caps a
// function's unzipped code and layers at 250 MB, so the defaults sit above that.
type Limits struct {
	MaxEntries      int     // entries in the central directory
	MaxEntryBytes   int64   // uncompressed bytes of one entry that we open
	MaxTotalBytes   int64   // uncompressed bytes opened over the whole scan
	MaxRatio        float64 // uncompressed/compressed for entries above RatioFloor
	RatioFloorBytes int64   // small entries may compress well legitimately
	MaxNestingDepth int     // archives inside archives (jars in jars, enforced by the jar extractor)
	// MaxNestedBytes: osv-scalibr's jar extractor inflates an archive inside
	// an archive into memory, and holds each level while it reads the next:
	// the sizes along one nesting path may not pass this (zip_bomb_limit).
	MaxNestedBytes int64
	// MaxNestedArchives: archives met inside archives over the whole scan,
	// at every level (42.zip-style trees cost per archive, not per byte).
	MaxNestedArchives int
	DeclaredMaxBytes  int64 // sum of declared uncompressed sizes
	// SpillBytes: entries larger than this are inflated to an unlinked temp
	// file in TempDir instead of memory (Go binaries, fat jars), keeping the
	// scanner's memory flat; 0 keeps everything in memory.
	SpillBytes int64
	TempDir    string
}

// DefaultLimits are the limits used by the CLI and the scan step.
func DefaultLimits() Limits {
	return Limits{
		MaxEntries:      200_000,
		MaxEntryBytes:   512 << 20,
		MaxTotalBytes:   2 << 30,
		MaxRatio:        200,
		RatioFloorBytes: 1 << 20,
		MaxNestingDepth: 4,
		MaxNestedBytes:  64 << 20,
		// A Spring Boot fat jar nests a few hundred jars.
		MaxNestedArchives: 10_000,
		DeclaredMaxBytes:  4 << 30,
		SpillBytes:        1 << 20,
	}
}

// Problem is something in the archive that was not read, and why.
type Problem struct {
	Path string `json:"path"`
	Err  error  `json:"-"`
}

func (p Problem) String() string { return fmt.Sprintf("%s: %v", p.Path, p.Err) }

// FS is an io/fs view of a zip. Files opened through it implement io.ReaderAt
// (osv-scalibr needs random access for Go binaries, jars and Rust binaries).
type FS struct {
	lim      Limits
	files    map[string]*zip.File
	dirs     map[string][]fs.DirEntry
	linked   map[string]bool
	modTime  time.Time
	mu       sync.Mutex
	opened   int64
	problems []Problem
	heads    map[string][]byte // Peek results
	pre      *prefetcher
}

// Open reads the central directory of a zip of the given size.
func Open(r io.ReaderAt, size int64, lim Limits) (*FS, error) {
	if size < 22 {
		return nil, ErrNotZip
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		var magic [4]byte
		if _, rerr := r.ReadAt(magic[:], 0); rerr == nil && string(magic[:2]) != "PK" {
			return nil, fmt.Errorf("%w: %v", ErrNotZip, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return newFS(zr, lim)
}

func newFS(zr *zip.Reader, lim Limits) (*FS, error) {
	// klauspost's inflate is about twice as fast as compress/flate, and
	// inflating is most of the cost of scanning a Go binary or a jar.
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return kflate.NewReader(r) })
	if lim.MaxEntries > 0 && len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("%w: %d entries, limit %d", ErrTooManyEntries, len(zr.File), lim.MaxEntries)
	}
	z := &FS{lim: lim, files: map[string]*zip.File{}, dirs: map[string][]fs.DirEntry{".": nil}, linked: map[string]bool{}}
	var declared uint64
	for _, f := range zr.File {
		// Sizes are 64-bit unsigned in the zip; anything past int64 is a lie
		// meant to overflow our arithmetic.
		if f.UncompressedSize64 > math.MaxInt64/2 || f.CompressedSize64 > math.MaxInt64/2 {
			z.problem(f.Name, fmt.Errorf("%w: declared size out of range", ErrZipBomb))
			continue
		}
		if declared += f.UncompressedSize64; declared > math.MaxInt64/2 {
			return nil, fmt.Errorf("%w: declared uncompressed sizes overflow", ErrZipBomb)
		}
		name, ok := cleanName(f.Name)
		if !ok {
			z.problem(f.Name, ErrUnsafePath)
			continue
		}
		if name == "." {
			continue
		}
		mode := f.Mode()
		if mode&fs.ModeSymlink != 0 {
			// Following links inside an untrusted archive is how traversal
			// attacks escape; Lambda would resolve them at run time, so note it.
			z.problem(name, ErrSymlinkEntry)
			continue
		}
		if mode.IsDir() || strings.HasSuffix(f.Name, "/") {
			z.addDir(name)
			continue
		}
		if _, dup := z.files[name]; dup {
			// Two entries for one path: unzip, and so Lambda's extraction,
			// writes both in order and the last one stays on disk. Read that
			// one, so a decoy first entry cannot hide it, and say so.
			z.problem(name, ErrDuplicateEntry)
		}
		z.files[name] = f
		z.addDir(path.Dir(name))
	}
	if lim.DeclaredMaxBytes > 0 && declared > uint64(lim.DeclaredMaxBytes) {
		return nil, fmt.Errorf("%w: declared uncompressed size %d exceeds %d", ErrZipBomb, declared, lim.DeclaredMaxBytes)
	}
	for name := range z.files {
		if _, isDir := z.dirs[name]; isDir {
			// "a" as a file and "a/b" below it: the file is unreachable.
			delete(z.files, name)
			z.problem(name, ErrDuplicateEntry)
		}
	}
	for name, f := range z.files {
		parent := path.Dir(name)
		z.dirs[parent] = append(z.dirs[parent], fileEntry{f: f, name: path.Base(name)})
	}
	for d, ents := range z.dirs {
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
		z.dirs[d] = ents
	}
	return z, nil
}

// cleanName rejects absolute paths, drive letters and any ".." element: a
// deployment package that contains them is hostile or broken.
func cleanName(n string) (string, bool) {
	n = strings.ReplaceAll(n, "\\", "/")
	if n == "" || strings.HasPrefix(n, "/") || (len(n) > 1 && n[1] == ':') || strings.ContainsRune(n, 0) {
		return "", false
	}
	for _, el := range strings.Split(n, "/") {
		if el == ".." {
			return "", false
		}
	}
	c := path.Clean(n)
	if !fs.ValidPath(c) {
		return "", false
	}
	return c, true
}

// addDir registers d and its ancestors, each listed once in its parent.
func (z *FS) addDir(d string) {
	for d != "." && d != "" && !z.linked[d] {
		z.linked[d] = true
		if _, ok := z.dirs[d]; !ok {
			z.dirs[d] = nil
		}
		parent := path.Dir(d)
		z.dirs[parent] = append(z.dirs[parent], dirEntry{name: path.Base(d)})
		d = parent
	}
}

func (z *FS) problem(p string, err error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.problems = append(z.problems, Problem{Path: p, Err: err})
}

// Problems returns what was refused so far, in the order seen.
func (z *FS) Problems() []Problem {
	z.mu.Lock()
	defer z.mu.Unlock()
	return append([]Problem(nil), z.problems...)
}

// OpenedBytes is the number of uncompressed bytes read so far.
func (z *FS) OpenedBytes() int64 {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.opened
}

// Files lists every regular file path, sorted.
func (z *FS) Files() []string {
	out := make([]string, 0, len(z.files))
	for p := range z.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Open implements fs.FS.
func (z *FS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if ents, ok := z.dirs[name]; ok {
		return &dirFile{name: name, ents: ents}, nil
	}
	f, ok := z.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if file, err, ok := z.takePrefetched(name); ok {
		return file, err
	}
	return z.load(name, f)
}

// load inflates one entry into memory, or into a temp file when it is big.
func (z *FS) load(name string, f *zip.File) (fs.File, error) {
	info := fileEntry{f: f, name: path.Base(name)}
	if z.spills(f) {
		tf, err := z.spill(name, f)
		if err != nil {
			z.problem(name, err)
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		return &diskFile{File: tf, info: info}, nil
	}
	data, err := z.read(name, f)
	if err != nil {
		z.problem(name, err)
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &memFile{Reader: bytes.NewReader(data), info: info}, nil
}

func (z *FS) spills(f *zip.File) bool {
	return z.lim.SpillBytes > 0 && int64(f.UncompressedSize64) > z.lim.SpillBytes
}

// spill inflates an entry into a temp file that is unlinked at once, so it
// vanishes with its descriptor even if the process dies mid-scan.
func (z *FS) spill(name string, f *zip.File) (*os.File, error) {
	rc, err := z.openEntry(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tf, err := os.CreateTemp(z.lim.TempDir, "lambdascan-entry-*")
	if err != nil {
		return nil, err
	}
	os.Remove(tf.Name())
	if err := copyExact(tf, rc, int64(f.UncompressedSize64), name); err != nil {
		tf.Close()
		return nil, err
	}
	return tf, nil
}

// Peek returns up to n leading bytes of an entry, inflating only as much of
// it as that takes; it does not count against the byte budget.
func (z *FS) Peek(name string, n int) ([]byte, error) {
	f, ok := z.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "peek", Path: name, Err: fs.ErrNotExist}
	}
	z.mu.Lock()
	h, cached := z.heads[name]
	z.mu.Unlock()
	if cached && len(h) >= n {
		return h[:n], nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	defer rc.Close()
	buf := make([]byte, n)
	m, err := io.ReadFull(rc, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	z.mu.Lock()
	if z.heads == nil {
		z.heads = map[string][]byte{}
	}
	z.heads[name] = buf[:m]
	z.mu.Unlock()
	return buf[:m], nil
}

// ReadFile returns an entry's bytes under the same limits as Open.
func (z *FS) ReadFile(name string) ([]byte, error) {
	f, ok := z.files[name]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	data, err := z.read(name, f)
	if err != nil {
		z.problem(name, err)
	}
	return data, err
}

// openEntry applies the size limits, then opens the entry's stream.
func (z *FS) openEntry(f *zip.File) (io.ReadCloser, error) {
	declared := int64(f.UncompressedSize64)
	if z.lim.MaxEntryBytes > 0 && declared > z.lim.MaxEntryBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrEntryTooLarge, declared, z.lim.MaxEntryBytes)
	}
	if err := z.checkRatio(declared, int64(f.CompressedSize64)); err != nil {
		return nil, err
	}
	if err := z.reserve(declared); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return rc, nil
}

func (z *FS) read(name string, f *zip.File) ([]byte, error) {
	rc, err := z.openEntry(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	buf.Grow(int(f.UncompressedSize64))
	if err := copyExact(&buf, rc, int64(f.UncompressedSize64), name); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// copyExact copies exactly the declared size, then makes sure the stream
// ends there: the declared size can lie (archive/zip checks the CRC at EOF).
func copyExact(w io.Writer, rc io.Reader, declared int64, name string) error {
	if _, err := io.CopyN(w, rc, declared); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	var one [1]byte
	if n, err := rc.Read(one[:]); n > 0 {
		return fmt.Errorf("%w: %s is larger than its declared size", ErrZipBomb, name)
	} else if err != nil && err != io.EOF {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
	}
	return nil
}

func (z *FS) checkRatio(uncompressed, compressed int64) error {
	if z.lim.MaxRatio <= 0 || uncompressed < z.lim.RatioFloorBytes {
		return nil
	}
	if compressed <= 0 || float64(uncompressed)/float64(compressed) > z.lim.MaxRatio {
		return fmt.Errorf("%w: compression ratio %d:%d above %.0f", ErrZipBomb, uncompressed, compressed, z.lim.MaxRatio)
	}
	return nil
}

func (z *FS) reserve(n int64) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.lim.MaxTotalBytes > 0 && z.opened+n > z.lim.MaxTotalBytes {
		return fmt.Errorf("%w: total uncompressed bytes would exceed %d", ErrZipBomb, z.lim.MaxTotalBytes)
	}
	z.opened += n
	return nil
}

// ReadDir implements fs.ReadDirFS.
func (z *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	ents, ok := z.dirs[name]
	if !ok {
		if _, isFile := z.files[name]; isFile {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
		}
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	return append([]fs.DirEntry(nil), ents...), nil
}

// Stat implements fs.StatFS.
func (z *FS) Stat(name string) (fs.FileInfo, error) {
	if _, ok := z.dirs[name]; ok {
		return dirEntry{name: path.Base(name)}, nil
	}
	if f, ok := z.files[name]; ok {
		return fileEntry{f: f, name: path.Base(name)}, nil
	}
	return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

type fileEntry struct {
	f    *zip.File
	name string
}

func (e fileEntry) Name() string               { return e.name }
func (e fileEntry) Size() int64                { return int64(e.f.UncompressedSize64) }
func (e fileEntry) Mode() fs.FileMode          { return e.f.Mode() &^ fs.ModeType }
func (e fileEntry) ModTime() time.Time         { return e.f.Modified }
func (e fileEntry) IsDir() bool                { return false }
func (e fileEntry) Sys() any                   { return &e.f.FileHeader } // sizes as declared
func (e fileEntry) Type() fs.FileMode          { return 0 }
func (e fileEntry) Info() (fs.FileInfo, error) { return e, nil }

type dirEntry struct{ name string }

func (d dirEntry) Name() string               { return d.name }
func (d dirEntry) Size() int64                { return 0 }
func (d dirEntry) Mode() fs.FileMode          { return fs.ModeDir | 0o755 }
func (d dirEntry) ModTime() time.Time         { return time.Time{} }
func (d dirEntry) IsDir() bool                { return true }
func (d dirEntry) Sys() any                   { return nil }
func (d dirEntry) Type() fs.FileMode          { return fs.ModeDir }
func (d dirEntry) Info() (fs.FileInfo, error) { return d, nil }

type memFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (m *memFile) Stat() (fs.FileInfo, error) { return m.info, nil }
func (m *memFile) Close() error               { return nil }

type diskFile struct {
	*os.File
	info fs.FileInfo
}

func (d *diskFile) Stat() (fs.FileInfo, error) { return d.info, nil }

type dirFile struct {
	name string
	ents []fs.DirEntry
	pos  int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return dirEntry{name: path.Base(d.name)}, nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *dirFile) Close() error { return nil }
func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.ents[d.pos:]
	if n <= 0 {
		d.pos = len(d.ents)
		return append([]fs.DirEntry(nil), rest...), nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.pos += n
	return append([]fs.DirEntry(nil), rest[:n]...), nil
}
