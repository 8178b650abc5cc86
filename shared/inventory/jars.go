package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/osv-scalibr/extractor/filesystem"
	"github.com/google/osv-scalibr/extractor/filesystem/simplefileapi"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/plugin"
)

// javaJars runs osv-scalibr's jar extractor (pom.properties) and
// jarmanifest (pom-less jars) over one opening of each jar. osv-scalibr
// opens a file once per extractor, and inside a zip every opening inflates
// the jar again: a 9 MB jar would cost twice.
type javaJars struct {
	archive, manifest filesystem.Extractor
}

func (j javaJars) Name() string                       { return j.archive.Name() }
func (j javaJars) Version() int                       { return j.archive.Version() }
func (j javaJars) Requirements() *plugin.Capabilities { return j.archive.Requirements() }

func (j javaJars) FileRequired(api filesystem.FileAPI) bool {
	return j.archive.FileRequired(api) || j.manifest.FileRequired(api)
}

func (j javaJars) Extract(ctx context.Context, in *filesystem.ScanInput) (inventory.Inventory, error) {
	ra, ok := in.Reader.(io.ReaderAt)
	size := int64(0)
	if in.Info != nil {
		size = in.Info.Size()
	}
	if !ok || in.Info == nil {
		data, err := io.ReadAll(in.Reader)
		if err != nil {
			return inventory.Inventory{}, err
		}
		ra, size = bytes.NewReader(data), int64(len(data))
	}
	api := simplefileapi.New(in.Path, in.Info)
	var out inventory.Inventory
	var errs []error
	for _, e := range []filesystem.Extractor{j.archive, j.manifest} {
		if in.Info != nil && !e.FileRequired(api) {
			continue
		}
		each := *in
		each.Reader = io.NewSectionReader(ra, 0, size)
		inv, err := e.Extract(ctx, &each)
		out.Packages = append(out.Packages, inv.Packages...)
		if err != nil && e == j.manifest {
			err = fmt.Errorf("%s: %w", e.Name(), err) // reported under osv-scalibr's name
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}
