package vulndb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lambdascan/lambdascan/shared/archive"
	"github.com/lambdascan/lambdascan/shared/ecosystem"
	"github.com/lambdascan/lambdascan/shared/feeds"
)

// DefaultEcosystems are the OSV ecosystems the inventory produces.
var DefaultEcosystems = []string{"npm", "PyPI", "Go", "Maven", "RubyGems", "NuGet", "crates.io", "Packagist"}

// DefaultBaseURL is the public OSV export bucket (<base>/<Ecosystem>/all.zip).
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// ErrNoData means no source yielded a single export zip.
var ErrNoData = errors.New("no OSV export found")

// BuildOptions says where the OSV exports come from.
type BuildOptions struct {
	// Sources are directories holding <Ecosystem>/all.zip or HTTP(S) base URLs.
	Sources []string
	// Ecosystems to read; empty means every directory found (local) or
	// DefaultEcosystems (HTTP).
	Ecosystems []string
	HTTPClient *http.Client
	// MaxDownloadBytes caps one all.zip download (default 2 GiB).
	MaxDownloadBytes int64
	Now              func() time.Time
	// Feeds already loaded (the mirror's); the nvd/, kev/ and epss/ folders
	// of local Sources are added to them.
	Feeds *feeds.Set
}

// BuildFile builds an index and writes it to out atomically.
func BuildFile(ctx context.Context, opt BuildOptions, out string) (Info, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return Info{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".vulndb-*")
	if err != nil {
		return Info{}, err
	}
	defer os.Remove(tmp.Name())
	info, err := Build(ctx, opt, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return info, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return info, err
	}
	return info, os.Rename(tmp.Name(), out)
}

// Build reads every source and writes one index to w.
func Build(ctx context.Context, opt BuildOptions, w io.Writer) (Info, error) {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	info := Info{BuiltAt: now().UTC().Truncate(time.Second), Ecosystems: map[string]EcosystemInfo{}}
	in := &ingest{groups: map[string][]Advisory{}, seen: map[string]int{}, info: &info}
	found := 0
	fset := feeds.NewSet()
	if opt.Feeds != nil {
		fset = opt.Feeds
	}
	for _, src := range opt.Sources {
		if !isURL(src) {
			if _, err := fset.LoadDir(src); err != nil {
				return info, fmt.Errorf("vulndb: feeds in %s: %w", src, err)
			}
		}
		ecos, err := ecosystemsOf(src, opt.Ecosystems)
		if err != nil {
			return info, err
		}
		for _, eco := range ecos {
			if err := ctx.Err(); err != nil {
				return info, err
			}
			var n int
			if dir := filepath.Join(src, eco); !isURL(src) && !exists(filepath.Join(dir, "all.zip")) {
				// A folder of loose records (an OSV git mirror, our testdata).
				n, err = in.ingestFS(os.DirFS(dir))
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
			} else {
				zf, cleanup, oerr := openExport(ctx, opt, src, eco)
				if errors.Is(oerr, os.ErrNotExist) {
					continue
				}
				if oerr != nil {
					return info, oerr
				}
				var zfs fs.FS
				if zfs, err = openZipExport(zf); err == nil {
					n, err = in.ingestFS(zfs)
					if errors.Is(err, os.ErrNotExist) {
						err = nil // an empty export is a valid export
					}
				}
				cleanup()
			}
			found++
			if err != nil {
				return info, fmt.Errorf("%s/%s/all.zip: %w", src, eco, err)
			}
			ei := info.Ecosystems[eco]
			ei.Records += n
			info.Ecosystems[eco] = ei
		}
		info.Sources = append(info.Sources, src)
	}
	if found == 0 {
		return info, fmt.Errorf("%w in %s", ErrNoData, strings.Join(opt.Sources, ", "))
	}
	// An ecosystem asked for by name and found nowhere is an error, not a
	// quiet gap in coverage.
	for _, e := range opt.Ecosystems {
		if _, ok := info.Ecosystems[ecosystem.Canonical(e)]; !ok {
			return info, fmt.Errorf("%w for ecosystem %q in %s", ErrNoData, e, strings.Join(opt.Sources, ", "))
		}
	}
	if !fset.Empty() {
		info.Feeds = fset.Info
		attachFeeds(in.groups, fset)
	}
	for k := range in.groups {
		eco, _, _ := strings.Cut(k, "\x00")
		ei := info.Ecosystems[eco]
		ei.Packages++
		info.Ecosystems[eco] = ei
	}
	return writeIndex(w, in.groups, info)
}

func isURL(src string) bool {
	return strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://")
}

func ecosystemsOf(src string, want []string) ([]string, error) {
	if len(want) > 0 {
		out := make([]string, len(want))
		for i, w := range want {
			out[i] = ecosystem.Canonical(w)
		}
		return out, nil
	}
	if isURL(src) {
		return DefaultEcosystems, nil
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return nil, fmt.Errorf("vulndb: source %s: %w", src, err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() || feeds.IsFeedDir(e.Name()) {
			continue
		}
		loose, _ := filepath.Glob(filepath.Join(src, e.Name(), "*.json"))
		if exists(filepath.Join(src, e.Name(), "all.zip")) || len(loose) > 0 {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// openExport returns the export zip of one ecosystem as a random-access file.
// Downloads go to a temporary file: a zip's directory is at its end.
func openExport(ctx context.Context, opt BuildOptions, src, eco string) (*os.File, func(), error) {
	if !isURL(src) {
		f, err := os.Open(filepath.Join(src, eco, "all.zip"))
		if err != nil {
			return nil, nil, err
		}
		return f, func() { f.Close() }, nil
	}
	u, err := url.Parse(src)
	if err != nil {
		return nil, nil, fmt.Errorf("vulndb: source %q: %w", src, err)
	}
	u.Path = path.Join(u.Path, url.PathEscape(eco), "all.zip")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	client := opt.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("vulndb: downloading %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil, os.ErrNotExist
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("vulndb: downloading %s: HTTP %d", u, resp.StatusCode)
	}
	limit := opt.MaxDownloadBytes
	if limit <= 0 {
		limit = 2 << 30
	}
	f, err := os.CreateTemp("", "osv-*.zip")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("vulndb: downloading %s: %w", u, err)
	}
	if n > limit {
		cleanup()
		return nil, nil, fmt.Errorf("vulndb: %s is larger than %d bytes", u, limit)
	}
	return f, cleanup, nil
}

// openZipExport views an export zip as a filesystem of <id>.json records.
func openZipExport(f *os.File) (fs.FS, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	lim := archive.DefaultLimits()
	lim.MaxEntryBytes = 32 << 20
	lim.MaxTotalBytes = 16 << 30 // the whole export is read once
	lim.DeclaredMaxBytes = 16 << 30
	lim.MaxEntries = 2_000_000
	lim.SpillBytes = 0
	return archive.Open(f, st.Size(), lim)
}

// ingestFS adds every <id>.json at the top of fsys (an export zip or a
// folder of loose records); it returns how many records it kept.
func (in *ingest) ingestFS(fsys fs.FS) (int, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return 0, err
	}
	if len(names) == 0 {
		return 0, os.ErrNotExist
	}
	sort.Strings(names)
	kept := 0
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return kept, err
		}
		if in.add(data) {
			kept++
		}
	}
	return kept, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ingest accumulates advisories by lookup key across sources.
type ingest struct {
	groups map[string][]Advisory
	seen   map[string]int // key+id -> index in groups[key]
	info   *Info
}

// add files one OSV record under each package it affects; it reports
// whether the record was kept (not withdrawn, not malformed).
func (in *ingest) add(data []byte) bool {
	recs, err := ParseRecord(data)
	if err != nil {
		in.info.Skipped.Malformed++
		return false
	}
	if recs == nil {
		in.info.Skipped.Withdrawn++
		return false
	}
	for _, r := range recs {
		id := r.key + "\x00" + r.adv.ID
		if i, dup := in.seen[id]; dup {
			// The same advisory from two sources: keep the newer one.
			if r.adv.Modified > in.groups[r.key][i].Modified {
				in.groups[r.key][i] = r.adv
			}
			continue
		}
		in.seen[id] = len(in.groups[r.key])
		in.groups[r.key] = append(in.groups[r.key], r.adv)
	}
	return true
}

// attachFeeds gives every advisory the feeds' facts about its CVE ids, so
// matching needs no second lookup.
func attachFeeds(groups map[string][]Advisory, fs *feeds.Set) {
	for _, advs := range groups {
		for i := range advs {
			a := &advs[i]
			a.CVEs = nil
			for _, id := range append([]string{a.ID}, a.Aliases...) {
				if !strings.HasPrefix(strings.ToUpper(id), "CVE-") {
					continue
				}
				if c, ok := fs.Lookup(id); ok {
					a.CVEs = append(a.CVEs, CVEFacts{ID: strings.ToUpper(id), CVE: c})
				}
			}
		}
	}
}
