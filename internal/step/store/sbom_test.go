package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var twin = Identity{FunctionARN: "arn:aws:lambda:eu-west-1:123456789012:function:twin-b", Version: "$LATEST",
	Account: "123456789012", Region: "eu-west-1", CodeSha256: "c2hhMjU2", At: time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC)}

func TestRelabelCycloneDX(t *testing.T) {
	in := `{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:1",
	 "metadata":{"component":{"bom-ref":"x","type":"application","name":"arn:aws:lambda:eu-west-1:123456789012:function:twin-a","version":"c2hhMjU2"},
	  "properties":[{"name":"lambdascan:functionArn","value":"twin-a"},{"name":"other","value":"kept"}]},
	 "components":[{"bom-ref":"pkg:npm/lodash@4.17.15|function|","name":"lodash","version":"4.17.15"}],
	 "vulnerabilities":[{"id":"GHSA-p6mc-m468-83gw","ratings":[{"score":7.4}]}]}`
	out, err := relabelCycloneDX([]byte(in), twin)
	require.NoError(t, err)
	var doc struct {
		SerialNumber string `json:"serialNumber"`
		Metadata     struct {
			Component  map[string]string   `json:"component"`
			Properties []map[string]string `json:"properties"`
		} `json:"metadata"`
		Components      []map[string]any `json:"components"`
		Vulnerabilities []struct {
			Ratings []struct {
				Score json.Number `json:"score"`
			} `json:"ratings"`
		} `json:"vulnerabilities"`
	}
	require.NoError(t, json.Unmarshal(out, &doc))
	assert.Equal(t, twin.FunctionARN, doc.Metadata.Component["name"])
	assert.Equal(t, twin.FunctionARN+":$LATEST", doc.Metadata.Component["bom-ref"])
	assert.Empty(t, doc.SerialNumber)
	props := map[string]string{}
	for _, p := range doc.Metadata.Properties {
		props[p["name"]] = p["value"]
	}
	assert.Equal(t, map[string]string{"other": "kept", "lambdascan:functionArn": twin.FunctionARN, "lambdascan:functionVersion": "$LATEST",
		"lambdascan:account": "123456789012", "lambdascan:region": "eu-west-1", "lambdascan:codeSha256": "c2hhMjU2"}, props)
	assert.Len(t, doc.Components, 1)
	assert.Equal(t, "7.4", doc.Vulnerabilities[0].Ratings[0].Score.String())
}

func TestRelabelSPDX(t *testing.T) {
	in := `{"spdxVersion":"SPDX-2.3","name":"arn:a","documentNamespace":"https://lambdascan.dev/spdx/a/1","creationInfo":{"created":"2026-11-29T18:00:00Z"},
	 "packages":[{"name":"arn:a","SPDXID":"SPDXRef-Package-main-1","versionInfo":"0"},{"name":"lodash","SPDXID":"SPDXRef-Package-lodash-2","versionInfo":"4.17.15"}]}`
	out, err := relabelSPDX([]byte(in), twin)
	require.NoError(t, err)
	var doc struct {
		Name      string              `json:"name"`
		Namespace string              `json:"documentNamespace"`
		Packages  []map[string]string `json:"packages"`
	}
	require.NoError(t, json.Unmarshal(out, &doc))
	assert.Equal(t, twin.FunctionARN, doc.Name)
	assert.Equal(t, "https://lambdascan.dev/spdx/arn/aws/lambda/eu-west-1/123456789012/function/twin-b/$LATEST/20261129T180000.000Z", doc.Namespace)
	assert.Equal(t, twin.FunctionARN, doc.Packages[0]["name"])
	assert.Equal(t, "c2hhMjU2", doc.Packages[0]["versionInfo"])
	assert.Equal(t, "lodash", doc.Packages[1]["name"])
}

func TestRelabelRejectsNonObjects(t *testing.T) {
	for _, in := range []string{``, `[]`, `null`, `{"a":`} {
		_, err := relabelCycloneDX([]byte(in), twin)
		assert.Error(t, err, in)
		_, err = relabelSPDX([]byte(in), twin)
		assert.Error(t, err, in)
	}
}
