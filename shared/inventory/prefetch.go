package inventory

import (
	"io/fs"
	"runtime"

	"github.com/google/osv-scalibr/extractor/filesystem"

	"github.com/lambdascan/lambdascan/shared/archive"
)

// prefetchAhead caps the bytes inflated ahead of the walk; entries below
// prefetchMin inflate faster than a hand-off between goroutines costs.
const (
	prefetchAhead = 16 << 20
	prefetchMin   = 32 << 10
)

// fileAPI is what an extractor's FileRequired sees of one file.
type fileAPI struct {
	path string
	info fs.FileInfo
}

func (f fileAPI) Path() string               { return f.path }
func (f fileAPI) Stat() (fs.FileInfo, error) { return f.info, nil }

// prefetch asks the zip to inflate, on every core, the entries some
// extractor will open; the walk then finds them ready.
func prefetch(z *archive.FS, exts []filesystem.Extractor) (stop func()) {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 {
		return func() {} // one core: inflating ahead only adds memory
	}
	var need []string
	for _, p := range z.Files() {
		info, err := z.Stat(p)
		if err != nil || info.Size() < prefetchMin {
			continue
		}
		api := fileAPI{path: p, info: info}
		for _, e := range exts {
			if e.FileRequired(api) {
				need = append(need, p)
				break
			}
		}
	}
	return z.Prefetch(need, workers, prefetchAhead)
}
