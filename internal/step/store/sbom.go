package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// Identity is the function an SBOM copy describes. The scan's SBOMs live
// under results/<content id>/ and name whichever function the engine ran
// for first; each function's copy names that function.
type Identity struct {
	FunctionARN string
	Version     string // qualifier, "$LATEST" when none
	Account     string
	Region      string
	CodeSha256  string
	At          time.Time // the attempt's timestamp
}

func identityOf(t contract.Target, target schema.Target, at time.Time) Identity {
	v := t.Qualifier
	if v == "" {
		v = "$LATEST"
	}
	return Identity{FunctionARN: t.FunctionARN, Version: v, Account: t.Account, Region: t.Region, CodeSha256: target.CodeSha256, At: at}
}

func (id Identity) properties() []any {
	var out []any
	for _, kv := range [][2]string{{"lambdascan:functionArn", id.FunctionARN}, {"lambdascan:functionVersion", id.Version},
		{"lambdascan:account", id.Account}, {"lambdascan:region", id.Region}, {"lambdascan:codeSha256", id.CodeSha256}} {
		if kv[1] != "" {
			out = append(out, map[string]any{"name": kv[0], "value": kv[1]})
		}
	}
	return out
}

// relabelCycloneDX sets the BOM's subject (metadata.component) to the
// function and its metadata properties to the function's identity; the
// components and vulnerabilities stay as scanned.
func relabelCycloneDX(raw []byte, id Identity) ([]byte, error) {
	doc, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	meta, _ := doc["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		doc["metadata"] = meta
	}
	comp, _ := meta["component"].(map[string]any)
	if comp == nil {
		comp = map[string]any{"type": "application"}
		meta["component"] = comp
	}
	comp["name"] = id.FunctionARN
	comp["bom-ref"] = id.FunctionARN + ":" + id.Version
	if id.CodeSha256 != "" {
		comp["version"] = id.CodeSha256
	}
	var props []any
	if old, ok := meta["properties"].([]any); ok {
		for _, p := range old {
			if m, ok := p.(map[string]any); ok && strings.HasPrefix(fmt.Sprint(m["name"]), "lambdascan:") {
				continue // replaced below
			}
			props = append(props, p)
		}
	}
	meta["properties"] = append(props, id.properties()...)
	// A copy is its own BOM: a serial number shared by two functions'
	// copies would say they are one document.
	delete(doc, "serialNumber")
	return encodeObject(doc)
}

// relabelSPDX names the document and its main package after the function
// and gives the copy a namespace of its own (SPDX requires one per
// document).
func relabelSPDX(raw []byte, id Identity) ([]byte, error) {
	doc, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	old, _ := doc["name"].(string)
	doc["name"] = id.FunctionARN
	doc["documentNamespace"] = "https://lambdascan.dev/spdx/" + strings.ReplaceAll(id.FunctionARN, ":", "/") + "/" + id.Version + "/" + id.At.UTC().Format("20060102T150405.000Z")
	if ci, ok := doc["creationInfo"].(map[string]any); ok {
		ci["comment"] = "lambdascan function " + id.FunctionARN + " version " + id.Version + " codeSha256 " + id.CodeSha256
	}
	pkgs, _ := doc["packages"].([]any)
	for _, p := range pkgs {
		m, ok := p.(map[string]any)
		if !ok {
			continue
		}
		if ref, _ := m["SPDXID"].(string); strings.HasPrefix(ref, "SPDXRef-Package-main-") || (old != "" && m["name"] == old) {
			m["name"] = id.FunctionARN
			if id.CodeSha256 != "" {
				m["versionInfo"] = id.CodeSha256
			}
			break
		}
	}
	return encodeObject(doc)
}

func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // scores stay as written
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return doc, nil
}

func encodeObject(doc map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(doc)
	return buf.Bytes(), err
}

// storeSBOMs writes the function's copies of the scan's SBOMs beside its
// report; it returns their keys.
// sbomCopy is one relabelled SBOM, for latest.* once the attempt is known
// to be the newest.
type sbomCopy struct {
	format string
	body   []byte
}

func (h *Handler) storeSBOMs(ctx context.Context, sum *contract.Summary, reportKey string, id Identity) (cdx, spdx string, copies []sbomCopy, err error) {
	for _, d := range []struct {
		from    string
		relabel func([]byte, Identity) ([]byte, error)
		out     *string
		format  string
	}{{sum.CycloneDX, relabelCycloneDX, &cdx, contract.FormatCycloneDX}, {sum.SPDXKey, relabelSPDX, &spdx, contract.FormatSPDX}} {
		if d.from == "" {
			continue
		}
		raw, err := h.read(ctx, d.from)
		if err != nil {
			return "", "", nil, err
		}
		body, err := d.relabel(raw, id)
		if err != nil {
			return "", "", nil, fmt.Errorf("%s %s: %w", d.format, d.from, err)
		}
		*d.out = contract.SBOMKey(reportKey, d.format)
		if err := awsclient.PutBytes(ctx, h.S3, h.Bucket, *d.out, body); err != nil {
			return "", "", nil, err
		}
		copies = append(copies, sbomCopy{format: d.format, body: body})
	}
	return cdx, spdx, copies, nil
}

// putLatestSBOMs writes latest.cyclonedx.json and latest.spdx.json beside
// latest.json, for the newest execution only (as latest.json).
func (h *Handler) putLatestSBOMs(ctx context.Context, latestKey string, copies []sbomCopy) error {
	for _, c := range copies {
		if err := awsclient.PutBytes(ctx, h.S3, h.Bucket, contract.SBOMKey(latestKey, c.format), c.body); err != nil {
			return err
		}
	}
	return nil
}
