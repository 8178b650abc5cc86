package inventory_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lambdascan/lambdascan/shared/archive/archivetest"
	"github.com/lambdascan/lambdascan/shared/inventory"
)

func TestBundleEvidence(t *testing.T) {
	tests := []struct {
		name, file, body string
		want             []string
	}{
		{"esbuild sections with VERSION", "index.js",
			"// node_modules/@scope/lib/index.js\nvar VERSION = \"2.1.0\";\n// node_modules/other/x.js\nvar y = 1;\n",
			[]string{"npm @scope/lib@2.1.0 function bundled", "npm other@ function bundled"}},
		{"license banner", "dist/app.js",
			"/*! lodash v4.17.15 | (c) OpenJS Foundation */\nvar a=1;\n/** @license React v16.13.1\n */\n",
			[]string{"npm lodash@4.17.15 function bundled", "npm react@16.13.1 function bundled"}},
		{"webpack module ids and embedded package.json", "main.js",
			`var m={"./node_modules/axios/index.js":function(){var p={"name":"axios","version":"0.21.0"}}};`,
			[]string{"npm axios@0.21.0 function bundled"}},
		{"sourcemap sources", "index.js.map",
			`{"version":3,"sources":["../src/h.ts","../node_modules/jsonwebtoken/sign.js","webpack:///./node_modules/a/node_modules/ms/index.js"]}`,
			[]string{"npm jsonwebtoken@ function bundled", "npm ms@ function bundled"}},
		{"nested copies are their own packages", "index.js",
			"// node_modules/a/index.js\nvar VERSION = \"1.0.0\";\n// node_modules/a/node_modules/lodash/lodash.js\nvar VERSION = \"4.17.4\";\n// node_modules/lodash/lodash.js\nvar VERSION = \"4.17.21\";\n",
			[]string{"npm a@1.0.0 function bundled", "npm lodash@4.17.21 function bundled", "npm lodash@4.17.4 function bundled"}},
		{"plain handler is not a bundle", "index.js",
			"exports.handler = async () => ({ version: \"1.0.0\" });\n", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scanZip(t, archivetest.Zip(archivetest.Entry{Name: tc.file, Body: []byte(tc.body)}), inventory.Origin{Kind: inventory.OriginFunction})
			assert.Equal(t, tc.want, lines(r))
			if len(tc.want) > 0 {
				assert.Equal(t, []string{inventory.CodeBundled}, codes(r))
			} else {
				assert.Empty(t, codes(r))
				assert.NotEmpty(t, r.Notes, "0 packages is said, not silent")
			}
		})
	}
}
