// Package pomprops is an osv-scalibr filesystem extractor for
// META-INF/maven/<g>/<a>/pom.properties lying loose in a package, which is
// what a Java function uploaded as one (shaded) jar looks like: the
// deployment zip *is* the jar, so osv-scalibr's jar extractor never sees it
// as an archive and shaded dependencies such as Guava go unreported.
package pomprops

import (
	"bufio"
	"context"
	"fmt"
	"path"
	"strings"

	cpb "github.com/google/osv-scalibr/binary/proto/config_go_proto"
	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	archivemeta "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive/metadata"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/purl"
)

// Name of the extractor.
const Name = "lambdascan/pomproperties"

// Extractor reads loose pom.properties files.
type Extractor struct{}

// New returns the extractor (it has no settings).
func New(*cpb.PluginConfig) (filesystem.Extractor, error) { return Extractor{}, nil }

// Name of the extractor.
func (Extractor) Name() string { return Name }

// Version of the extractor.
func (Extractor) Version() int { return 0 }

// Requirements of the extractor.
func (Extractor) Requirements() *plugin.Capabilities { return &plugin.Capabilities{} }

// FileRequired: META-INF/maven/<g>/<a>/pom.properties anywhere.
func (Extractor) FileRequired(api filesystem.FileAPI) bool {
	p := api.Path()
	return path.Base(p) == "pom.properties" && strings.Contains("/"+p, "/META-INF/maven/")
}

// Extract reads groupId, artifactId and version; a file without all three
// yields nothing rather than a guess.
func (Extractor) Extract(_ context.Context, in *filesystem.ScanInput) (inventory.Inventory, error) {
	props := map[string]string{}
	sc := bufio.NewScanner(in.Reader)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		props[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return inventory.Inventory{}, fmt.Errorf("%s: %w", in.Path, err)
	}
	g, a, v := props["groupId"], props["artifactId"], props["version"]
	if g == "" || a == "" || v == "" {
		return inventory.Inventory{}, nil
	}
	return inventory.Inventory{Packages: []*extractor.Package{{
		Name:     g + ":" + a,
		Version:  v,
		PURLType: purl.TypeMaven,
		Metadata: &archivemeta.Metadata{GroupID: g, ArtifactID: a},
		Location: extractor.LocationFromPath(in.Path),
	}}}, nil
}
