package inventory

import (
	"bufio"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/google/osv-scalibr/extractor"
	"github.com/google/osv-scalibr/extractor/filesystem"
	archivemeta "github.com/google/osv-scalibr/extractor/filesystem/language/java/archive/metadata"
	"github.com/google/osv-scalibr/inventory"
	"github.com/google/osv-scalibr/plugin"
	"github.com/google/osv-scalibr/purl"
)

// pomProps reads META-INF/maven/<g>/<a>/pom.properties lying loose in the
// package, which is what a Java function uploaded as one (shaded) jar looks
// like: the deployment zip *is* the jar, so osv-scalibr's jar extractor never
// sees it as an archive and shaded dependencies such as Guava go unreported.
type pomProps struct{}

const pomPropsName = "lambdascan/pomproperties"

func (pomProps) Name() string                       { return pomPropsName }
func (pomProps) Version() int                       { return 0 }
func (pomProps) Requirements() *plugin.Capabilities { return &plugin.Capabilities{} }

func (pomProps) FileRequired(api filesystem.FileAPI) bool {
	p := api.Path()
	return path.Base(p) == "pom.properties" && strings.Contains(p, "META-INF/maven/")
}

func (pomProps) Extract(_ context.Context, in *filesystem.ScanInput) (inventory.Inventory, error) {
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
		return inventory.Inventory{}, nil // unreadable metadata yields nothing, not a guess
	}
	return inventory.Inventory{Packages: []*extractor.Package{{
		Name:     g + ":" + a,
		Version:  v,
		PURLType: purl.TypeMaven,
		Metadata: &archivemeta.Metadata{GroupID: g, ArtifactID: a},
		Location: extractor.LocationFromPath(in.Path),
	}}}, nil
}
