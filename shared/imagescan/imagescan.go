// Package imagescan inventories container images with osv-scalibr's layer
// scanning: OS packages (dpkg, apk, rpm) and language packages, each
// attributed to the layer that added it. Layers stream through a filter
// that keeps only the files an extractor reads. It is its own package so
// that binaries scanning only zips do not link the image stack.
package imagescan

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	layerscanning "github.com/google/osv-scalibr/artifact/image/layerscanning/image"
	"github.com/google/osv-scalibr/artifact/image/layerscanning/trace"
	"github.com/google/osv-scalibr/artifact/image/whiteout"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/os/apk"
	"github.com/google/osv-scalibr/extractor/filesystem/os/dpkg"
	"github.com/google/osv-scalibr/extractor/filesystem/os/rpm"
	scalibrinv "github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/stats"
	"github.com/klauspost/compress/gzip"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/image"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// Problem codes of image scans.
const (
	CodeCorruptLayer   = "corrupt_layer"
	CodeLayerTooLarge  = "layer_too_large"
	CodeStorageBudget  = "storage_budget"
	CodeImageNotLoaded = "image_not_loaded"
)

// Options bound what an image scan reads and writes.
type Options struct {
	// Limits bound single files (MaxEntryBytes) and jars inside the image.
	Limits archive.Limits
	// MaxLayerBytes: a layer larger than this (compressed, as its manifest
	// says) is skipped with CodeLayerTooLarge; MaxLayerUncompressedBytes
	// stops a decompression bomb the same way.
	MaxLayerBytes             int64
	MaxLayerUncompressedBytes int64
	// MaxKeptBytes bounds what the scan writes to TempDir: only files an
	// extractor reads are kept, and their total may not pass this
	// (Lambda's ephemeral storage), or the rest ends as CodeStorageBudget.
	MaxKeptBytes int64
	// Problems already known about the image (found when its layers were
	// staged): they make the result partial like the scan's own.
	Problems []inventory.Problem
	// KeepGoBinaries holds the image's Go binaries (and its temp files)
	// until the Result's Release, for the reachability check.
	KeepGoBinaries bool
}

// DefaultOptions suit the scan Lambda's 2 GB of /tmp.
func DefaultOptions() Options {
	return Options{Limits: archive.DefaultLimits(), MaxLayerBytes: 10 << 30, MaxLayerUncompressedBytes: 40 << 30, MaxKeptBytes: 1 << 30}
}

// Result is an image's inventory with its layers.
type Result struct {
	inventory.Result
	Layers []inventory.LayerInfo `json:"layers"`
	OS     map[string]string     `json:"os,omitempty"` // /etc/os-release
}

// ScanImage inventories a container image with osv-scalibr's layer scanning,
// attributing every package to the layer that added it. Layers stream from
// their source (a registry, a tarball); only the files an extractor reads
// are written to the temp dir, so a 1 GB image costs a few MB of /tmp.
func ScanImage(ctx context.Context, img v1.Image, opt Options) (*Result, error) {
	if m, err := img.Manifest(); err == nil && len(m.Layers) > image.MaxLayers {
		return nil, fmt.Errorf("%w: %d layers, limit %d", image.ErrTooManyLayers, len(m.Layers), image.MaxLayers)
	}
	filter, err := NewFilter(opt)
	if err != nil {
		return nil, err
	}
	// osv-scalibr reads every layer before it looks at a context: the filter
	// stops the streams instead, so a cancelled scan (Ctrl-C) ends at once
	// and its temp files go with it.
	filter.ctx = ctx
	f := &filteredImage{Image: img, filter: filter}
	simg, err := layerscanning.FromV1Image(f, &layerscanning.Config{MaxFileBytes: max(opt.Limits.MaxEntryBytes, 1), MaxSymlinkDepth: layerscanning.DefaultMaxSymlinkDepth})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrImageUnreadable, err)
	}
	cleanUp := func() { simg.CleanUp() }
	defer func() {
		if cleanUp != nil {
			cleanUp()
		}
	}()
	chain, err := simg.ChainLayers()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrImageUnreadable, err)
	}
	res := &Result{}
	res.Problems = append(slices.Clone(opt.Problems), filter.Problems()...)

	base := simg.BaseImageIndex
	for i, c := range chain {
		l := c.Layer()
		res.Layers = append(res.Layers, inventory.LayerInfo{Index: i, DiffID: l.DiffID().String(), Command: l.Command(),
			BaseImage: base >= 0 && i <= base, Empty: l.IsEmpty()})
	}
	// The same pipeline as zips and directories, with the OS package
	// databases added and each package attributed to the layer that added it.
	inv, err := inventory.Extract(ctx, simg.FS(), inventory.ExtractOptions{
		Origin:         inventory.Origin{Kind: inventory.OriginImage},
		Limits:         opt.Limits,
		Extra:          osExtractors,
		SkipBundleDirs: runtimeDirs,
		KeepGoBinaries: opt.KeepGoBinaries,
		Attribute: func(ctx context.Context, inv *scalibrinv.Inventory, exts []filesystem.Extractor) func(*extractor.Package) inventory.Origin {
			trace.PopulateLayerDetails(ctx, inv, chain, exts, &filesystem.Config{Stats: stats.NoopCollector{}})
			if len(inv.ContainerImageMetadata) > 0 {
				res.OS = inv.ContainerImageMetadata[0].OSInfo
			}
			return func(p *extractor.Package) inventory.Origin {
				origin := inventory.Origin{Kind: inventory.OriginImage}
				if lm := p.LayerMetadata; lm != nil {
					origin.Layer = lm.DiffID.String()
					origin.LayerIndex = lm.Index
					origin.BaseImage = base >= 0 && lm.Index <= base
				}
				return origin
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("inventory: walking image: %w", err)
	}
	res.Packages = inv.Packages
	res.Problems = append(res.Problems, inv.Problems...)
	res.Dropped = inv.Dropped
	if len(res.Packages) == 0 && !inventory.HasCode(res.Problems, inventory.CodeBundled) {
		res.Notes = append(res.Notes, "0 packages: no OS package database, lockfile, installed package metadata, jar or binary with build info was found")
	}
	if opt.KeepGoBinaries {
		// The binaries read from the image's temp files: those go on Release.
		res.Result.Adopt(inv, cleanUp)
		cleanUp = nil
	}
	return res, nil
}

// ErrImageUnreadable: the image's manifest, config or layer list could not
// be read at all (a damaged layer inside is a partial result instead).
var ErrImageUnreadable = &image.Error{Name: schema.ErrImageUnreadable, Msg: "image unreadable"}

// osExtractors add OS package databases to the language extractors:
// Debian/Ubuntu, Alpine, and Amazon Linux/RHEL (rpm; pure-Go SQLite).
var osExtractors = []inventory.Constructor{dpkg.New, apk.New, rpm.New}

// runtimeDirs hold a base image's language runtime, not the function's
// code: the Lambda runtime interface client in /var/runtime is itself a
// bundle, and would make every Node.js image partial.
var runtimeDirs = []string{"var/runtime", "var/lang", "usr", "lib", "lib64", "etc"}

// keeper decides, from a tar header (and the first bytes for binaries),
// whether any extractor would read a file.
type keeper struct {
	exts    []filesystem.Extractor
	binary  map[string]bool
	maxFile int64
}

// Files osv-scalibr reads besides what extractors ask for.
var alwaysKeep = []string{"etc/os-release", "usr/lib/os-release"}

func newKeeper(lim archive.Limits) (*keeper, error) {
	x, err := inventory.NewExtraction(nil, inventory.ExtractOptions{Limits: lim, Extra: osExtractors, SkipBundleDirs: runtimeDirs})
	if err != nil {
		return nil, err
	}
	k := &keeper{binary: map[string]bool{}, maxFile: lim.MaxEntryBytes}
	for _, e := range x.Extractors {
		inner, magic := inventory.Unwrap(e)
		if magic {
			k.binary[inner.Name()] = true
		}
		k.exts = append(k.exts, inner)
	}
	return k, nil
}

// sized is a FileInfo with another size.
type sized struct {
	fs.FileInfo
	size int64
}

func (s sized) Size() int64 { return s.size }

type headerFile struct {
	name string
	info fs.FileInfo
}

func (h headerFile) Path() string               { return h.name }
func (h headerFile) Stat() (fs.FileInfo, error) { return h.info, nil }

// wants says whether a regular file is read by an extractor; binaryOnly
// ones also need the executable magic, checked by the caller with peek.
func (k *keeper) wants(name string, info fs.FileInfo) (want, needsMagic bool) {
	if slices.Contains(alwaysKeep, name) {
		return true, false
	}
	api := headerFile{name: name, info: info}
	needsMagic = true
	for _, e := range k.exts {
		if e.FileRequired(api) {
			if !k.binary[e.Name()] {
				return true, false
			}
			want = true
		}
	}
	return want, needsMagic
}

// Filter streams layers keeping only the files an extractor reads, within
// one temp-storage budget. The scan step reads layers staged through it.
type Filter struct {
	keep   *keeper
	opt    Options
	mu     sync.Mutex
	probs  []inventory.Problem
	budget int64           // bytes still allowed into the temp dir
	ctx    context.Context // nil: never cancelled
}

// NewFilter builds a filter for one image.
func NewFilter(opt Options) (*Filter, error) {
	keep, err := newKeeper(opt.Limits)
	if err != nil {
		return nil, err
	}
	return &Filter{keep: keep, opt: opt, budget: opt.MaxKeptBytes}, nil
}

// Layer wraps l: its Uncompressed stream is the filtered tar.
func (f *Filter) Layer(l v1.Layer) v1.Layer { return &filteredLayer{Layer: l, img: f} }

// Problems found so far (complete once every stream was read to its end).
func (f *Filter) Problems() []inventory.Problem {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.probs)
}

func (f *Filter) add(p inventory.Problem) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probs = append(f.probs, p)
}

// take reserves n bytes of the temp-dir budget.
func (f *Filter) take(n int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.opt.MaxKeptBytes > 0 && n > f.budget {
		return false
	}
	f.budget -= n
	return true
}

// filteredImage is img with every layer through the filter.
type filteredImage struct {
	v1.Image
	filter *Filter
}

// Layers wraps each layer; DiffIDs come from the config (osv-scalibr asks
// for them several times, and a tarball's layer would decompress itself
// whole to compute one each time). They only label layers here: anything
// cached by layer is keyed by the verified compressed digest.
func (f *filteredImage) Layers() ([]v1.Layer, error) {
	ls, err := f.Image.Layers()
	if err != nil {
		return nil, err
	}
	var diffs []v1.Hash
	if cf, err := f.Image.ConfigFile(); err == nil && len(cf.RootFS.DiffIDs) == len(ls) {
		diffs = cf.RootFS.DiffIDs
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		fl := &filteredLayer{Layer: l, img: f.filter}
		if diffs != nil {
			fl.diff = &diffs[i]
		}
		out[i] = fl
	}
	return out, nil
}

type filteredLayer struct {
	v1.Layer
	img  *Filter
	diff *v1.Hash // from the image config, when known
}

func (l *filteredLayer) DiffID() (v1.Hash, error) {
	if l.diff != nil {
		return *l.diff, nil
	}
	return l.Layer.DiffID()
}

// MediaType: the filtered stream is an uncompressed tar.
func (l *filteredLayer) MediaType() (types.MediaType, error) { return types.OCIUncompressedLayer, nil }

func (l *filteredLayer) name() string {
	if d, err := l.DiffID(); err == nil {
		return d.String()
	}
	if d, err := l.Layer.Digest(); err == nil {
		return d.String()
	}
	return "layer"
}

// Uncompressed streams the layer's tar with only the kept files. A layer
// that cannot be read, or is too large, ends early as a valid tar with a
// recorded problem, so the rest of the image still scans.
func (l *filteredLayer) Uncompressed() (io.ReadCloser, error) {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		if err := l.copy(tw); err != nil {
			l.img.add(*err)
		}
		pw.CloseWithError(tw.Close())
	}()
	return pr, nil
}

func (l *filteredLayer) copy(tw *tar.Writer) *inventory.Problem {
	name := l.name()
	if limit := l.img.opt.MaxLayerBytes; limit > 0 {
		if size, err := l.Layer.Size(); err == nil && size > limit {
			return &inventory.Problem{Code: CodeLayerTooLarge, Path: name, Detail: fmt.Sprintf("layer is %d bytes compressed, over the %d-byte limit: skipped", size, limit)}
		}
	}
	rc, err := uncompressed(l.Layer)
	if err != nil {
		return &inventory.Problem{Code: CodeCorruptLayer, Path: name, Detail: "layer unreadable: " + err.Error()}
	}
	defer rc.Close()
	// The config's diff_id labels the layer in the report: the content must
	// hash to it, as the compressed stream must to its digest.
	var sum hash.Hash
	if l.diff != nil && l.diff.Algorithm == "sha256" {
		sum = sha256.New()
		rc = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(rc, sum), rc}
	}
	counted := &countingReader{r: rc, limit: l.img.opt.MaxLayerUncompressedBytes, ctx: l.img.ctx}
	broken := func(path string, err error) *inventory.Problem {
		if errors.Is(err, errLayerTooLarge) {
			return &inventory.Problem{Code: CodeLayerTooLarge, Path: name,
				Detail: fmt.Sprintf("layer passed %d uncompressed bytes: the rest skipped", counted.limit)}
		}
		return &inventory.Problem{Code: CodeCorruptLayer, Path: path, Detail: "layer truncated or corrupt: " + err.Error()}
	}
	tr := tar.NewReader(counted)
	br := bufio.NewReaderSize(tr, 4096)
	overBudget := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			// Read to the very end: a registry layer's digest is checked
			// there, and a mismatch is a damaged layer.
			if _, err := io.Copy(io.Discard, counted); err != nil {
				return broken(name, fmt.Errorf("layer does not match its digest: %w", err))
			}
			if sum != nil {
				if got := hex.EncodeToString(sum.Sum(nil)); got != l.diff.Hex {
					return &inventory.Problem{Code: CodeCorruptLayer, Path: name,
						Detail: "layer content hashes to sha256:" + got + ", not the config's diff_id: its files are not attributed to it reliably"}
				}
			}
			return nil
		}
		if err != nil {
			return broken(name, err)
		}
		rel := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		switch h.Typeflag {
		case tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
			if err := tw.WriteHeader(h); err != nil {
				return broken(name, err)
			}
			continue
		case tar.TypeReg:
		default:
			continue // devices, fifos: nothing to inventory
		}
		keep := false
		if whiteout.IsWhiteout(path.Base(rel)) {
			h.Size = 0
			keep = true
		} else if want, magic := l.img.keep.wants(rel, h.FileInfo()); !want {
			if l.img.keep.maxFile > 0 && h.Size > l.img.keep.maxFile {
				// Extractors turn down files over their size cap: say so
				// when the size is all that kept one out.
				if w, _ := l.img.keep.wants(rel, sized{h.FileInfo(), 0}); w {
					l.img.add(inventory.Problem{Code: inventory.CodeEntryTooLarge, Path: "/" + rel, Detail: fmt.Sprintf("%d bytes, over the %d-byte limit: not read", h.Size, l.img.keep.maxFile)})
				}
			}
		} else {
			br.Reset(tr)
			head, _ := br.Peek(4)
			switch {
			case magic && !inventory.HasExecutableMagic(head):
			case l.img.keep.maxFile > 0 && h.Size > l.img.keep.maxFile:
				l.img.add(inventory.Problem{Code: inventory.CodeEntryTooLarge, Path: "/" + rel, Detail: fmt.Sprintf("%d bytes, over the %d-byte limit: not read", h.Size, l.img.keep.maxFile)})
			case overBudget:
			case !l.img.take(h.Size):
				overBudget = true
				l.img.add(inventory.Problem{Code: CodeStorageBudget, Path: "/" + rel, Detail: fmt.Sprintf("kept files would pass %d bytes of temp storage: this and later files not read", l.img.opt.MaxKeptBytes)})
			default:
				keep = true
			}
		}
		if keep {
			if err := l.copyFile(tw, h, br); err != nil {
				return broken("/"+rel, err)
			}
			continue
		}
		// A dropped file still shadows the same path in older layers (a
		// replaced binary must not show through): a whiteout hides them, and
		// no extractor meets an empty stand-in.
		wh := &tar.Header{Name: path.Join(path.Dir(h.Name), whiteout.WhiteoutPrefix+path.Base(h.Name)), Typeflag: tar.TypeReg, Mode: 0o644, ModTime: h.ModTime}
		if err := tw.WriteHeader(wh); err != nil {
			return broken(name, err)
		}
	}
}

// copyFile writes one kept file, read whole first so that a truncated one
// is dropped rather than handed to an extractor (or padded: a hostile
// header could declare hundreds of MB the stream does not hold). Small files
// (package databases, metadata: nearly all) wait in memory, larger ones in
// an unlinked temp file.
func (l *filteredLayer) copyFile(tw *tar.Writer, h *tar.Header, r io.Reader) error {
	if h.Size <= 1<<20 {
		buf := make([]byte, h.Size)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(buf)
		return err
	}
	tf, err := os.CreateTemp(l.img.opt.Limits.TempDir, "lambdascan-layer-file-*")
	if err != nil {
		return err
	}
	os.Remove(tf.Name())
	defer tf.Close()
	if _, err := io.CopyN(tf, r, h.Size); err != nil {
		return err
	}
	if _, err := tf.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err = io.CopyN(tw, tf, h.Size)
	return err
}

// uncompressed opens a layer's tar stream, inflating gzip layers with
// klauspost's gzip (about twice the standard library's speed); other
// encodings (zstd, plain tar) go through the layer's own Uncompressed.
func uncompressed(l v1.Layer) (io.ReadCloser, error) {
	mt, err := l.MediaType()
	if err != nil || (mt != types.DockerLayer && mt != types.OCILayer) {
		return l.Uncompressed()
	}
	c, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(c)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &gzipStream{Reader: zr, c: c}, nil
}

type gzipStream struct {
	*gzip.Reader
	c io.ReadCloser
}

// Read drains the compressed stream at the end of the gzip data, so a
// verifying reader below sees its EOF and checks the digest.
func (g *gzipStream) Read(p []byte) (int, error) {
	n, err := g.Reader.Read(p)
	if errors.Is(err, io.EOF) {
		if _, derr := io.Copy(io.Discard, g.c); derr != nil {
			return n, derr
		}
	}
	return n, err
}

func (g *gzipStream) Close() error {
	g.Reader.Close()
	return g.c.Close()
}

// countingReader fails once more than limit bytes were read (0: no limit),
// so one huge entry cannot inflate forever inside tar's Next.
type countingReader struct {
	r     io.Reader
	n     int64
	limit int64
	ctx   context.Context // stops the stream when done
}

var errLayerTooLarge = errors.New("layer over the uncompressed limit")

func (c *countingReader) Read(p []byte) (int, error) {
	if c.ctx != nil {
		if err := c.ctx.Err(); err != nil {
			return 0, err
		}
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.limit > 0 && c.n > c.limit {
		return n, errLayerTooLarge
	}
	return n, err
}
