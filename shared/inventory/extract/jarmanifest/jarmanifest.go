// Package jarmanifest is an osv-scalibr filesystem extractor for jars that
// carry no pom.properties: Spring's jars nested in a fat jar's lib/, OSGi
// bundles, distribution rebuilds. It reads META-INF/MANIFEST.MF
// (Implementation-Title/-Version, Bundle-SymbolicName/-Version,
// Automatic-Module-Name) and the file name, and gives Maven coordinates
// only when a known module or bundle name maps to exactly one artifact.
// Anything else is remembered as unidentified (Unidentified), never
// guessed: a wrong groupId matches nothing and hides the jar.
//
// Jars that do have pom.properties are osv-scalibr's java archive
// extractor's; this one only looks inside them for nested jars.
package jarmanifest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"sync"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/purl"
)

// Name of the extractor.
const Name = "lambdascan/jarmanifest"

// Defaults when the config says nothing.
const (
	DefaultMaxFileBytes   = 256 << 20
	DefaultMaxDepth       = 4
	DefaultMaxOpenedBytes = 1 << 30
)

// Metadata is how a jar was identified.
type Metadata struct {
	GroupID, ArtifactID string
	// Evidence names the manifest headers (and "file-name") the
	// coordinates and version rest on.
	Evidence []string
}

// IsProtoable marks Metadata as osv-scalibr package metadata; it is never
// serialised to osv-scalibr's protos.
func (*Metadata) IsProtoable() {}

// PURL of the identified artifact.
func (m *Metadata) PURL(version string) string {
	return purl.PackageURL{Type: purl.TypeMaven, Namespace: m.GroupID, Name: m.ArtifactID, Version: version}.String()
}

// Unidentified is a jar without pom.properties whose manifest and name did
// not map to one Maven artifact.
type Unidentified struct {
	Path string
	// Identity: what the jar says about itself ("Automatic-Module-Name
	// org.bouncycastle.provider, Implementation-Version 1.72.0").
	Identity string
}

// Extractor identifies pom-less jars. One instance per scan: it keeps the
// jars it could not identify.
type Extractor struct {
	maxBytes, maxOpened int64
	maxDepth            int
	mu                  sync.Mutex
	unidentified        map[string]Unidentified
}

// New honours the java archive settings of the config (file size cap,
// nesting depth, total bytes opened), like osv-scalibr's jar extractor.
func New(cfg *cpb.PluginConfig) (filesystem.Extractor, error) {
	e := &Extractor{maxBytes: DefaultMaxFileBytes, maxDepth: DefaultMaxDepth, maxOpened: DefaultMaxOpenedBytes, unidentified: map[string]Unidentified{}}
	if cfg == nil {
		return e, nil
	}
	if n := cfg.GetMaxFileSizeBytes(); n > 0 {
		e.maxBytes = n
	}
	for _, s := range cfg.GetPluginSpecific() {
		if j := s.GetJavaArchive(); j != nil {
			if j.GetMaxZipDepth() > 0 {
				e.maxDepth = int(j.GetMaxZipDepth())
			}
			if j.GetMaxOpenedBytes() > 0 {
				e.maxOpened = j.GetMaxOpenedBytes()
			}
		}
	}
	return e, nil
}

// Name of the extractor.
func (*Extractor) Name() string { return Name }

// Version of the extractor.
func (*Extractor) Version() int { return 0 }

// Requirements of the extractor.
func (*Extractor) Requirements() *plugin.Capabilities { return &plugin.Capabilities{} }

func isArchive(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".jar", ".war", ".ear":
		return true
	}
	return false
}

// FileRequired: jars, wars and ears within the size cap.
func (e *Extractor) FileRequired(api filesystem.FileAPI) bool {
	if !isArchive(api.Path()) {
		return false
	}
	info, err := api.Stat()
	return err == nil && info.Size() > 0 && info.Size() <= e.maxBytes
}

// Unidentified are the jars seen so far that could not be identified.
func (e *Extractor) Unidentified() []Unidentified {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Unidentified, 0, len(e.unidentified))
	for _, u := range e.unidentified {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

var errBudget = errors.New("nested jars pass the opened-bytes limit")

// Extract opens one jar and every jar nested in it.
func (e *Extractor) Extract(ctx context.Context, in *filesystem.ScanInput) (inventory.Inventory, error) {
	ra, size, err := readerAt(in, e.maxBytes)
	if err != nil {
		return inventory.Inventory{}, err
	}
	w := &walk{e: e, budget: e.maxOpened}
	err = w.jar(ctx, in.Path, ra, size, 0)
	return inventory.Inventory{Packages: w.pkgs}, err
}

func readerAt(in *filesystem.ScanInput, max int64) (io.ReaderAt, int64, error) {
	if ra, ok := in.Reader.(io.ReaderAt); ok && in.Info != nil {
		return ra, in.Info.Size(), nil
	}
	data, err := io.ReadAll(io.LimitReader(in.Reader, max+1))
	if err != nil {
		return nil, 0, err
	}
	if int64(len(data)) > max {
		return nil, 0, fmt.Errorf("%s: over %d bytes", in.Path, max)
	}
	return bytes.NewReader(data), int64(len(data)), nil
}

type walk struct {
	e      *Extractor
	budget int64
	pkgs   []*extractor.Package
}

func (w *walk) jar(ctx context.Context, p string, ra io.ReaderAt, size int64, depth int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	hasPom, nested := false, false
	var mf *zip.File
	var errs []error
	for _, f := range zr.File {
		switch {
		case strings.HasPrefix(f.Name, "META-INF/maven/") && path.Base(f.Name) == "pom.properties":
			hasPom = true
		case strings.EqualFold(f.Name, "META-INF/MANIFEST.MF"):
			mf = f
		case isArchive(f.Name) && !strings.HasSuffix(f.Name, "/"):
			nested = true
			if depth+1 > w.e.maxDepth {
				errs = append(errs, fmt.Errorf("%s/%s: nested deeper than %d jars: not read", p, f.Name, w.e.maxDepth))
				continue
			}
			if err := w.nested(ctx, p+"/"+f.Name, f, depth+1); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if hasPom {
		return errors.Join(errs...) // osv-scalibr's java archive extractor reports it
	}
	var h map[string]string
	if mf != nil {
		h, err = readManifest(mf)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: MANIFEST.MF: %w", p, err))
		}
	}
	id := identify(h, path.Base(p))
	switch {
	case id.group != "":
		w.pkgs = append(w.pkgs, &extractor.Package{
			Name:     id.group + ":" + id.artifact,
			Version:  id.version,
			PURLType: purl.TypeMaven,
			Metadata: &Metadata{GroupID: id.group, ArtifactID: id.artifact, Evidence: id.evidence},
			Location: extractor.LocationFromPath(p),
		})
	case id.library && !nested:
		// A fat jar or war whose own manifest names no library is a
		// container of the jars inside it, not a library to identify.
		w.e.mu.Lock()
		w.e.unidentified[p] = Unidentified{Path: p, Identity: id.identity}
		w.e.mu.Unlock()
	}
	return errors.Join(errs...)
}

func (w *walk) nested(ctx context.Context, p string, f *zip.File, depth int) error {
	n := int64(f.UncompressedSize64)
	if n > w.e.maxBytes || n > w.budget {
		return fmt.Errorf("%s: %w", p, errBudget)
	}
	w.budget -= n
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	defer rc.Close()
	data := make([]byte, n)
	if _, err := io.ReadFull(rc, data); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	return w.jar(ctx, p, bytes.NewReader(data), n, depth)
}

const maxManifestBytes = 1 << 20

// readManifest returns the main section's headers. Lines wrap at 72
// bytes with a leading space on the continuation, which joins without one
// (MIME folding, as net/textproto reads it, would insert a space).
func readManifest(f *zip.File) (map[string]string, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	h := map[string]string{}
	last := ""
	sc := bufio.NewScanner(io.LimitReader(rc, maxManifestBytes))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break // the main section ends; per-entry sections are not about the jar
		}
		if line[0] == ' ' {
			if last != "" {
				h[last] += line[1:]
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			last = ""
			continue
		}
		last = strings.ToLower(strings.TrimSpace(k))
		h[last] = strings.TrimPrefix(v, " ")
	}
	return h, sc.Err()
}
