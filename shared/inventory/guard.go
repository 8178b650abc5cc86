package inventory

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/language/dotnet/depsjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/golang/gobinary"
	javaarchive "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagejson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/packagelockjson"
	"github.com/google/osv-scalibr/extractor/filesystem/language/javascript/yarnlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/php/composerlock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/pipfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/requirements"
	"github.com/google/osv-scalibr/extractor/filesystem/language/python/wheelegg"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemfilelock"
	"github.com/google/osv-scalibr/extractor/filesystem/language/ruby/gemspec"
	"github.com/google/osv-scalibr/inventory"
	kflate "github.com/klauspost/compress/flate"

	"github.com/lambdascan/lambdascan/shared/archive"
)

// guarded adds to an osv-scalibr v0.5.3 extractor what it leaves out, so no
// file an extractor wanted goes unread without a named reason. Audit of the
// extractors we link (errors logged or dropped instead of returned):
//
//   - every one refuses files over MaxFileSizeBytes in FileRequired and tells
//     only a Stats collector, which we cannot hand to each extractor through
//     its constructor: the refusal is recorded here (entry_too_large, or
//     zip_bomb_limit when the declared size is a compression-ratio lie);
//   - yarnlock and gemfilelock check bufio.Scanner.Err inside the scan loop,
//     so bufio.ErrTooLong (a line over 64 KiB) ends the file silently;
//     requirements, gemspec and wheelegg return or log it without the line:
//     lineBased extractors get a reader that finds the line;
//   - gobinary logs buildinfo.Read errors and returns nothing: a file with Go
//     build-info magic that does not parse is an extractor_error here;
//   - depsjson returns nothing for a .deps.json that is not JSON, and
//     packagejson for one without name and version: malformed JSON metadata
//     is an extractor_error here (the JSON lockfile extractors return theirs);
//   - the jar extractor inflates nested archives into memory with only a
//     per-jar byte count: nested archives share the scan's inflated-bytes
//     budget and the ratio check here, at every level (checkNested).
//
// Left as upstream logs them (a part of a file, not the file, is skipped):
// poetrylock, pipfilelock, uvlock and cargolock scan lines only to find
// line numbers (packages unaffected); gemfilelock skips a spec line it
// cannot parse, pnpmlock a package whose version it cannot read, depsjson a
// library without name or version; requirements skips a -r/-c include it
// cannot open; the jar extractor falls back to the file name when a nested
// pom.properties or MANIFEST.MF does not parse.
//
// Upstream fixes would make these checks redundant, not wrong.
type guarded struct {
	filesystem.Extractor
	g *guard
}

// guard is one scan's shared state: the recorder, the limits and the bytes
// inflated inside nested archives.
type guard struct {
	rec      *recorder
	lim      archive.Limits
	zfs      *archive.FS // nil for directories and images
	mu       sync.Mutex
	refused  map[string]bool
	nested   int64 // bytes inflated inside nested archives
	archives int   // nested archives met
}

func newGuard(fsys fs.FS, lim archive.Limits, rec *recorder) *guard {
	g := &guard{rec: rec, lim: lim, refused: map[string]bool{}}
	g.zfs, _ = fsys.(*archive.FS)
	return g
}

// codedError is an extractor failure that carries its own problem code
// (recording uses it instead of extractor_error).
type codedError struct {
	code string
	path string // inside the file (nested archives); "" for the file itself
	err  error
}

func (c *codedError) Error() string { return c.err.Error() }
func (c *codedError) Unwrap() error { return c.err }

// problemOf is the problem an extractor's error on a file is recorded as.
func problemOf(extractor, file string, err error) Problem {
	p := Problem{Code: CodeExtractorError, Path: file, Detail: extractor + ": " + err.Error()}
	var c *codedError
	if errors.As(err, &c) {
		p.Code = c.code
		if c.path != "" {
			p.Path = c.path
		}
	}
	return p
}

// sizedAPI is a file as FileRequired sees it, with another size.
type sizedAPI struct {
	filesystem.FileAPI
	size int64
}

func (s sizedAPI) Stat() (fs.FileInfo, error) {
	info, err := s.FileAPI.Stat()
	if err != nil {
		return nil, err
	}
	return sized{info, s.size}, nil
}

type sized struct {
	fs.FileInfo
	size int64
}

func (s sized) Size() int64 { return s.size }

func (w guarded) FileRequired(api filesystem.FileAPI) bool {
	if w.Extractor.FileRequired(api) {
		return true
	}
	max := w.g.lim.MaxEntryBytes
	if max <= 0 {
		return false
	}
	info, err := api.Stat()
	if err != nil || info.Size() <= max {
		return false
	}
	// Turned down: was it the size alone?
	if w.Extractor.FileRequired(sizedAPI{api, 0}) {
		w.g.refuse(api.Path(), info)
	}
	return false
}

// refuse records, once per path, a file an extractor wanted but did not
// read because of its size.
func (g *guard) refuse(p string, info fs.FileInfo) {
	g.mu.Lock()
	seen := g.refused[p]
	g.refused[p] = true
	g.mu.Unlock()
	if seen {
		return
	}
	code, detail := CodeEntryTooLarge, fmt.Sprintf("%d bytes, over the %d-byte limit: not read", info.Size(), g.lim.MaxEntryBytes)
	if h, ok := info.Sys().(*zip.FileHeader); ok && g.lim.MaxRatio > 0 {
		if c := int64(h.CompressedSize64); c <= 0 || float64(info.Size())/float64(c) > g.lim.MaxRatio {
			code = CodeZipBomb
			detail = fmt.Sprintf("declares %d bytes from %d compressed (ratio above %.0f): not read", info.Size(), c, g.lim.MaxRatio)
		}
	}
	g.rec.add(Problem{Code: code, Path: p, Detail: detail})
}

// lineBased extractors read with a default bufio.Scanner (64 KiB lines).
var lineBased = map[string]bool{
	yarnlock.Name: true, gemfilelock.Name: true, requirements.Name: true, gemspec.Name: true, wheelegg.Name: true,
}

// maxLine is bufio.MaxScanTokenSize: a line (with its newline) longer than
// this stops a default bufio.Scanner.
const maxLine = 64 * 1024

// jsonMetadata extractors whose malformed input is dropped without an error.
var jsonMetadata = map[string]bool{
	depsjson.Name: true, packagejson.Name: true, packagelockjson.Name: true, composerlock.Name: true, pipfilelock.Name: true,
}

func (w guarded) Extract(ctx context.Context, in *filesystem.ScanInput) (inventory.Inventory, error) {
	name := w.Name()
	if name == javaarchive.Name {
		if err := w.g.checkJar(ctx, in); err != nil {
			return inventory.Inventory{}, err
		}
	}
	var lines *lineReader
	// wheelegg also reads .egg and .whl archives: those are not text.
	if lineBased[name] && in.Reader != nil && !strings.HasSuffix(in.Path, ".egg") && !strings.HasSuffix(in.Path, ".whl") {
		lines = &lineReader{r: in.Reader, line: 1}
		cp := *in
		cp.Reader = lines
		in = &cp
	}
	inv, err := w.Extractor.Extract(ctx, in)
	if lines != nil && lines.over > 0 {
		// Whatever upstream made of it, the file was not read past here.
		return inv, fmt.Errorf("line %d is longer than %d bytes: the line scanner stops there and the entries after it were not read", lines.over, maxLine-1)
	}
	if err != nil || len(inv.Packages) > 0 {
		return inv, err
	}
	switch {
	case name == gobinary.Name:
		return inv, checkBuildInfo(in)
	case jsonMetadata[name]:
		return inv, checkJSON(in)
	}
	return inv, nil
}

// lineReader passes bytes through and notes the first line that would stop a
// default bufio.Scanner.
type lineReader struct {
	r    io.Reader
	run  int // bytes since the last newline
	line int
	over int // line number of the first over-long line, 0 if none
}

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			l.run = 0
			l.line++
			continue
		}
		l.run++
		if l.run >= maxLine && l.over == 0 {
			l.over = l.line
		}
	}
	return n, err
}

// reread gives the input from its start again (our zip entries, directory
// files and image files are all seekable).
func reread(in *filesystem.ScanInput) (io.Reader, bool) {
	s, ok := in.Reader.(io.ReadSeeker)
	if !ok {
		return nil, false
	}
	if _, err := s.Seek(0, io.SeekStart); err != nil {
		return nil, false
	}
	return s, true
}

// buildInfoMagic starts the build info of every Go binary.
var buildInfoMagic = []byte("\xff Go buildinf:")

// checkBuildInfo: gobinary found nothing. A binary that is simply not Go is
// fine; one that carries build info that does not parse is not.
func checkBuildInfo(in *filesystem.ScanInput) error {
	ra, ok := in.Reader.(io.ReaderAt)
	if !ok {
		return nil
	}
	_, err := buildinfo.Read(ra)
	if err == nil || !hasBuildInfoMagic(ra) {
		return nil
	}
	return fmt.Errorf("Go build info present but unreadable: %v", err)
}

func hasBuildInfoMagic(ra io.ReaderAt) bool {
	const chunk = 1 << 20
	buf := make([]byte, chunk+len(buildInfoMagic))
	for off := int64(0); ; off += chunk {
		n, err := ra.ReadAt(buf, off)
		if bytes.Contains(buf[:n], buildInfoMagic) {
			return true
		}
		if err != nil || n < len(buf) {
			return false
		}
	}
}

// checkJSON: a JSON metadata file gave nothing. Valid JSON without packages
// is fine; anything else (not JSON, nested past encoding/json's depth) is not.
func checkJSON(in *filesystem.ScanInput) error {
	r, ok := reread(in)
	if !ok {
		return nil
	}
	dec := json.NewDecoder(r)
	var v json.RawMessage // validates and bounds nesting; the content is dropped
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("malformed JSON: %v", err)
	}
	return nil
}

// checkJar walks the archives nested in a jar as osv-scalibr's jar extractor
// will, charging what they inflate to the scan's budget and checking every
// level's compression ratio and declared sizes, before that extractor runs:
// it inflates nested jars into memory counting only each top-level jar.
func (g *guard) checkJar(ctx context.Context, in *filesystem.ScanInput) error {
	ra, ok := in.Reader.(io.ReaderAt)
	if !ok || in.Info == nil {
		return nil
	}
	return g.checkNested(ctx, ra, in.Info.Size(), in.Path, 1, 0)
}

// held is what the extractor holds in memory for the archives enclosing this
// one: it reads each nested archive whole while it reads the next.
func (g *guard) checkNested(ctx context.Context, ra io.ReaderAt, size int64, at string, depth int, held int64) error {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil // the jar extractor reports an invalid archive itself
	}
	zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return kflate.NewReader(r) })
	if g.lim.MaxEntries > 0 && len(zr.File) > g.lim.MaxEntries {
		return g.bomb(at, fmt.Errorf("%d entries, limit %d", len(zr.File), g.lim.MaxEntries))
	}
	var archives []*zip.File
	for _, f := range zr.File {
		if javaarchive.IsArchive(f.Name) && !strings.HasSuffix(f.Name, "/") {
			archives = append(archives, f)
		}
	}
	// Counted at every level, those past the depth cap too: the extractor
	// still meets each one (and fails on it).
	if err := g.count(len(archives)); err != nil {
		return g.bomb(at, err)
	}
	if depth >= g.lim.MaxNestingDepth && g.lim.MaxNestingDepth > 0 {
		return nil // deeper archives are not opened (the extractor's own depth cap)
	}
	for _, f := range archives {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := at + "/" + f.Name
		declared, compressed := f.UncompressedSize64, f.CompressedSize64
		if g.lim.MaxNestedBytes > 0 && int64(declared) > g.lim.MaxNestedBytes-held {
			return g.bomb(p, fmt.Errorf("nested archives held in memory at once would pass %d bytes (%d declared here, %d around it)", g.lim.MaxNestedBytes, declared, held))
		}
		if g.lim.MaxRatio > 0 && int64(declared) >= g.lim.RatioFloorBytes &&
			(compressed == 0 || float64(declared)/float64(compressed) > g.lim.MaxRatio) {
			return g.bomb(p, fmt.Errorf("compression ratio %d:%d above %.0f", declared, compressed, g.lim.MaxRatio))
		}
		if err := g.reserve(int64(declared)); err != nil {
			return g.bomb(p, err)
		}
		if err := g.checkInflated(ctx, f, p, depth+1, held+int64(declared)); err != nil {
			return err
		}
	}
	return nil
}

// checkInflated inflates one nested archive, in memory or, past SpillBytes,
// in an unlinked temp file (the extractor will hold it in memory next; this
// walk need not double that), and walks it.
func (g *guard) checkInflated(ctx context.Context, f *zip.File, p string, depth int, held int64) error {
	var w io.Writer
	var buf *bytes.Buffer
	var tf *os.File
	if g.lim.SpillBytes > 0 && int64(f.UncompressedSize64) > g.lim.SpillBytes {
		var err error
		if tf, err = os.CreateTemp(g.lim.TempDir, "lambdascan-nested-*"); err != nil {
			return err
		}
		os.Remove(tf.Name())
		defer tf.Close()
		w = tf
	} else {
		buf = &bytes.Buffer{}
		w = buf
	}
	if err := inflate(w, f); err != nil {
		return g.bomb(p, err)
	}
	if tf != nil {
		return g.checkNested(ctx, tf, int64(f.UncompressedSize64), p, depth, held)
	}
	return g.checkNested(ctx, bytes.NewReader(buf.Bytes()), int64(buf.Len()), p, depth, held)
}

func (g *guard) bomb(p string, err error) error {
	return &codedError{code: CodeZipBomb, path: p, err: err}
}

// count charges n nested archives to the scan.
func (g *guard) count(n int) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.archives += n
	if g.lim.MaxNestedArchives > 0 && g.archives > g.lim.MaxNestedArchives {
		return fmt.Errorf("more than %d archives nested in archives", g.lim.MaxNestedArchives)
	}
	return nil
}

// reserve charges n bytes inflated inside nested archives; together with
// what the zip itself inflated they may not pass MaxTotalBytes.
func (g *guard) reserve(n int64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	top := int64(0)
	if g.zfs != nil {
		top = g.zfs.OpenedBytes()
	}
	// The jar extractor inflates each nested archive again after this walk.
	if g.lim.MaxTotalBytes > 0 && top+2*(g.nested+n) > g.lim.MaxTotalBytes {
		return fmt.Errorf("total inflated bytes across nested archives would pass %d", g.lim.MaxTotalBytes)
	}
	g.nested += n
	return nil
}

// inflate copies a nested entry to w, holding it to its declared size.
func inflate(w io.Writer, f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(w, io.LimitReader(rc, int64(f.UncompressedSize64)+1))
	if err != nil {
		return err
	}
	if uint64(n) != f.UncompressedSize64 {
		return fmt.Errorf("inflates to %d bytes, declared %d", n, f.UncompressedSize64)
	}
	return nil
}
