package imagescan_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/image/imagetest"
	"github.com/lambdascan/lambdascan/shared/imagescan"
	"github.com/lambdascan/lambdascan/shared/inventory"
)

// esbuild output: path comments and the libraries' VERSION constants.
const esbuildBundle = `"use strict";
// node_modules/handlebars/dist/cjs/handlebars/base.js
var require_base = __commonJS({
  "node_modules/handlebars/dist/cjs/handlebars/base.js"(exports2) {
    var VERSION = "4.5.3";
  }
});

// node_modules/node-fetch/lib/index.js
var require_lib = __commonJS({});

// src/handler.js
exports.handler = async () => ({});
`

// Bundled JavaScript in an image layer goes through the same extractors as
// in a zip: found, attributed to its layer, and the result partial. The
// runtime's own bundled client in /var/runtime is not the function's code.
func TestBundledJSInImageLayer(t *testing.T) {
	img, err := imagetest.Image("linux/amd64",
		imagetest.Step{CreatedBy: "ADD rootfs.tar /", Files: append(imagetest.DebianBase(),
			imagetest.File{Name: "var/runtime/index.mjs", Body: []byte("var __commonJS = (cb, mod) => () => mod;\n")})},
		imagetest.Step{CreatedBy: `CMD ["index.handler"]`},
		imagetest.Step{CreatedBy: "COPY dist/index.js /var/task/", Files: []imagetest.File{{Name: "var/task/index.js", Body: []byte(esbuildBundle)}}},
	)
	require.NoError(t, err)
	res, err := imagescan.ScanImage(context.Background(), img, imagescan.DefaultOptions())
	require.NoError(t, err)

	got := byName(res.Packages)
	require.Contains(t, got, "handlebars")
	hb := got["handlebars"]
	assert.Equal(t, "4.5.3", hb.Version)
	assert.True(t, hb.Bundled)
	assert.Equal(t, []string{"bundle:module-path", "bundle:version-constant"}, hb.Evidence)
	assert.Equal(t, []string{"/var/task/index.js"}, hb.Paths)
	assert.Equal(t, 2, hb.Origin.LayerIndex, "the COPY layer")
	assert.Equal(t, res.Layers[2].DiffID, hb.Origin.Layer)
	assert.False(t, hb.Origin.BaseImage)
	require.Contains(t, got, "node-fetch")
	assert.Empty(t, got["node-fetch"].Version, "no version without evidence")

	var bundled []inventory.Problem
	for _, p := range res.Problems {
		if p.Code == inventory.CodeBundled {
			bundled = append(bundled, p)
		}
	}
	require.Len(t, bundled, 1)
	assert.Equal(t, "var/task/index.js", bundled[0].Path)
	assert.Contains(t, got, "openssl", "OS packages still found")
}

// A requirements file copied in one layer and the packages installed in a
// later one: one package with both pieces of evidence, and a pin that was
// never installed is not shipped.
func TestLockfileAndInstallInOtherLayers(t *testing.T) {
	img := appImage(t,
		imagetest.Step{CreatedBy: "COPY requirements.txt /var/task/", Files: []imagetest.File{{Name: "var/task/requirements.txt", Body: []byte("requests==2.25.0\nboto3==1.26.0\n")}}},
	)
	res, err := imagescan.ScanImage(context.Background(), img, imagescan.DefaultOptions())
	require.NoError(t, err)
	got := byName(res.Packages)
	require.Contains(t, got, "requests")
	req := got["requests"]
	assert.False(t, req.Declared)
	assert.Equal(t, []string{"installed", "manifest"}, req.Evidence)
	assert.Equal(t, []string{"/var/task/requests-2.25.0.dist-info/METADATA", "/var/task/requirements.txt"}, req.Paths)
	assert.Equal(t, 2, req.Origin.LayerIndex, "the installed copy's layer")
	assert.NotContains(t, got, "boto3")
	require.Len(t, res.Dropped, 1)
	assert.Equal(t, inventory.Dropped{Ecosystem: "PyPI", Name: "boto3", Version: "1.26.0", Path: "/var/task/requirements.txt", Reason: inventory.DropNotInstalled}, res.Dropped[0])
}
