package inventory

import (
	"io"
	"path"
	"syscall"
)

// Go binaries the inventory found are kept open until the scan has matched
// them, so the reachability check reads their function table from the
// bytes already inflated (an entry in memory, or the unlinked temp file a
// large entry was spilled to) instead of inflating the zip entry again.

type keptBinary struct {
	path string
	r    io.ReaderAt
	done func()
}

// retain keeps a Go binary the extractor just read; r is the file the walk
// opened and closes after the extractor returns.
func (r *recorder) retain(name string, f io.Reader) {
	if !r.keep {
		return
	}
	var kb keptBinary
	switch v := f.(type) {
	case syscall.Conn:
		// A file of a directory, or a large zip entry spilled to an
		// unlinked temp file (it embeds *os.File).
		dup, err := dupFile(v, name)
		if err != nil {
			return // the scanner opens the binary again
		}
		kb = keptBinary{path: name, r: dup, done: func() { dup.Close() }}
	case io.ReaderAt:
		kb = keptBinary{path: name, r: v, done: func() {}} // bytes in memory
	default:
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kept = append(r.kept, kb)
}

// binaryKey names a binary by where it runs: origin and Lambda path. An
// image has one final filesystem, so its layer does not matter.
func binaryKey(o Origin, p string) string {
	if o.Kind == OriginImage {
		o.Layer = ""
	}
	return o.Kind + "\x00" + o.Layer + "\x00" + p
}

func (res *Result) addBinaries(o Origin, kept []keptBinary) {
	if len(kept) == 0 {
		return
	}
	if res.binaries == nil {
		res.binaries = map[string]keptBinary{}
	}
	for _, k := range kept {
		key := binaryKey(o, path.Join(o.Root(), k.path))
		if old, dup := res.binaries[key]; dup {
			old.done()
		}
		res.binaries[key] = k
	}
}

// Adopt takes over the Go binaries another Result holds; release (the
// clean-up of the filesystem they were read from) runs on res.Release.
func (res *Result) Adopt(o *Result, release func()) {
	res.adopt(o)
	if release != nil {
		res.release = append(res.release, release)
	}
}

// adopt takes over the Go binaries (and clean-ups) another Result holds.
func (res *Result) adopt(o *Result) {
	for key, k := range o.binaries {
		if res.binaries == nil {
			res.binaries = map[string]keptBinary{}
		}
		if old, dup := res.binaries[key]; dup {
			old.done()
		}
		res.binaries[key] = k
	}
	res.release = append(res.release, o.release...)
	o.binaries, o.release = nil, nil
}

// GoBinary returns a Go binary of this inventory, by origin and the path
// its packages carry ("/var/task/bootstrap"), while it is kept open.
func (res *Result) GoBinary(o Origin, p string) (io.ReaderAt, bool) {
	k, ok := res.binaries[binaryKey(o, p)]
	return k.r, ok
}

func releaseKept(kept []keptBinary) {
	for _, k := range kept {
		k.done()
	}
}

// Release closes the Go binaries kept for GoBinary.
func (res *Result) Release() {
	for _, k := range res.binaries {
		k.done()
	}
	res.binaries = nil
	for _, f := range res.release {
		f()
	}
	res.release = nil
}

// KeepGoBinaries makes the extraction hold the Go binaries it finds open
// (call before the walk); HandOver passes them to a Result.
func (x *Extraction) KeepGoBinaries() { x.rec.keep = true }

// release closes the Go binaries the walk kept, for a walk that failed.
func (x *Extraction) release() {
	x.rec.mu.Lock()
	kept := x.rec.kept
	x.rec.kept = nil
	x.rec.mu.Unlock()
	releaseKept(kept)
}

// HandOver gives res the Go binaries the walk kept, found in origin o;
// release (the filesystem's clean-up, which the binaries need until then)
// runs on res.Release.
func (x *Extraction) HandOver(res *Result, o Origin, release func()) {
	x.rec.mu.Lock()
	kept := x.rec.kept
	x.rec.kept = nil
	x.rec.mu.Unlock()
	res.addBinaries(o, kept)
	if release != nil {
		res.release = append(res.release, release)
	}
}
