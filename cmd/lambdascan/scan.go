package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/lambdascan/lambdascan/shared/image"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/match"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

func cmdScan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", defaultDBPath(), "vuln index file (lambdascan db build/update)")
	format := fs.String("format", report.FormatTable, "output format: "+strings.Join(report.Formats, "|"))
	output := fs.String("output", "", "write the report to FILE instead of standard output")
	failOn := fs.String("fail-on", match.LevelLow, "exit 1 when a finding is at or above: low|medium|high|critical (unknown severity counts as low)")
	platform := fs.String("platform", "", "platform of a multi-platform image, e.g. linux/arm64 (default linux/amd64; a function's own architecture for an ARN)")
	var layers multiFlag
	fs.Var(&layers, "layer", "a layer zip or layer version ARN attached to the function (repeatable); alone, the layers are the target")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitError
	}
	if len(pos) > 1 || (len(pos) == 0 && len(layers) == 0) {
		fmt.Fprintln(stderr, "lambdascan scan: exactly one TARGET (a zip, a directory, an image tarball, an OCI layout, an image reference or a function ARN) is required, or --layer alone")
		return exitError
	}
	if !slices.Contains(report.Formats, *format) {
		fmt.Fprintf(stderr, "lambdascan scan: unknown --format %q\n", *format)
		return exitError
	}
	if match.Rank(*failOn) < 1 {
		fmt.Fprintf(stderr, "lambdascan scan: --fail-on must be low, medium, high or critical, not %q\n", *failOn)
		return exitError
	}
	var plat *v1.Platform
	if *platform != "" {
		if plat, err = v1.ParsePlatform(*platform); err != nil {
			fmt.Fprintf(stderr, "lambdascan scan: --platform %q: %v\n", *platform, err)
			return exitError
		}
	}
	db, err := vulndb.Open(*dbPath)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan scan: %v\n(build one with `lambdascan db build --from DIR --out FILE` or `lambdascan db update`)\n", err)
		return exitError
	}
	defer db.Close()
	tmp, err := os.MkdirTemp("", "lambdascan-scan-")
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan scan: %v\n", err)
		return exitError
	}
	defer os.RemoveAll(tmp)

	r, err := scanTarget(ctx, db, pos, layers, plat, tmp)
	if err != nil {
		fmt.Fprintf(stderr, "lambdascan scan: %v\n", err)
		return exitError
	}

	out := stdout
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			fmt.Fprintf(stderr, "lambdascan scan: %v\n", err)
			return exitError
		}
		defer f.Close()
		out = f
	}
	if err := report.Write(out, r, *format); err != nil {
		fmt.Fprintf(stderr, "lambdascan scan: writing report: %v\n", err)
		return exitError
	}
	if r.Status == report.StatusFailed {
		fmt.Fprintf(stderr, "lambdascan scan: %s: %s\n", r.Error.Name, r.Error.Message)
		return exitError
	}
	if r.AtOrAbove(*failOn) {
		return exitFindings
	}
	return exitOK
}

// scanTarget works out what the target is and scans it.
func scanTarget(ctx context.Context, db *vulndb.DB, pos, layerRefs []string, plat *v1.Platform, tmp string) (*report.Report, error) {
	if len(pos) == 1 && strings.HasPrefix(pos[0], "arn:") && strings.Contains(pos[0], ":layer:") {
		layerRefs, pos = append(layerRefs, pos[0]), nil // a layer version ARN is a layer target
	}
	var layers []inventory.Source
	var tgtLayers []report.Layer
	for _, l := range layerRefs {
		src := inventory.Source{Path: l, Origin: inventory.Origin{Kind: inventory.OriginLayer, Layer: filepath.Base(l)}}
		rl := report.Layer{ARN: filepath.Base(l)}
		if strings.HasPrefix(l, "arn:") {
			dl, err := fetchLayer(ctx, nil, l, tmp)
			if err != nil {
				return nil, err
			}
			src.Path, src.Origin.Layer = dl.Zip, l
			rl = report.Layer{ARN: l, CodeSha256: dl.CodeSha256}
		}
		layers = append(layers, src)
		tgtLayers = append(tgtLayers, rl)
	}
	if len(pos) == 0 { // the layers are the target
		return scan.Run(ctx, db, report.Target{Kind: "layer", Layers: tgtLayers}, layers, scan.Options{}), nil
	}
	target := pos[0]
	switch kindOf(target) {
	case "function":
		d, err := fetchFunction(ctx, target, tmp)
		if err != nil {
			return nil, err
		}
		tgt := report.Target{Kind: "function", FunctionARN: d.ARN, CodeSha256: d.CodeSha256, Runtime: d.Runtime}
		if d.ImageURI != "" {
			p := image.PlatformOf(d.Arch)
			if plat != nil {
				p = *plat
			}
			return scanImage(ctx, db, tgt, d.ImageURI, p)
		}
		sources := []inventory.Source{{Path: d.Zip, Origin: inventory.Origin{Kind: inventory.OriginFunction}}}
		for _, l := range d.Layers {
			sources = append(sources, inventory.Source{Path: l.Zip, Origin: inventory.Origin{Kind: inventory.OriginLayer, Layer: l.ARN}})
			tgt.Layers = append(tgt.Layers, report.Layer{ARN: l.ARN, CodeSha256: l.CodeSha256})
		}
		return scan.Run(ctx, db, tgt, append(sources, layers...), scan.Options{}), nil
	case "image":
		p := v1.Platform{OS: "linux", Architecture: "amd64"}
		if plat != nil {
			p = *plat
		}
		return scanImage(ctx, db, report.Target{Kind: "image"}, target, p)
	}
	kind := "zip"
	if st, err := os.Stat(target); err == nil && st.IsDir() {
		kind = "directory"
	}
	sources := []inventory.Source{{Path: target}}
	if len(layers) > 0 {
		sources[0].Origin = inventory.Origin{Kind: inventory.OriginFunction}
	}
	return scan.Run(ctx, db, report.Target{Kind: kind, Path: target, Layers: tgtLayers}, append(sources, layers...), scan.Options{}), nil
}

// scanImage opens an image (tarball, OCI layout, registry; ECR with the
// caller's credentials) and scans it.
func scanImage(ctx context.Context, db *vulndb.DB, tgt report.Target, ref string, p v1.Platform) (*report.Report, error) {
	auth, err := ecrAuth(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("ECR login for %s: %w", ref, err)
	}
	img, info, err := image.Open(ctx, ref, image.Options{Platform: p, Auth: auth, ECRMirror: os.Getenv(image.MirrorEnv)})
	tgt.Image = &report.Image{Ref: ref, Digest: info.Digest, Platform: info.Platform}
	if tgt.Path == "" && info.Source != image.SourceRegistry {
		tgt.Path = ref
	}
	if err != nil {
		return scan.Failed(tgt, err), nil
	}
	return scan.RunImage(ctx, db, tgt, img, scan.ImageOptions{MaxLayerBytes: inventory.DefaultImageOptions().MaxLayerBytes}), nil
}

// kindOf classifies a TARGET: a function ARN, an image (a tarball, an OCI
// layout, or a reference naming a registry, tag or digest), else a zip or
// directory.
func kindOf(target string) string {
	if strings.HasPrefix(target, "arn:") {
		return "function"
	}
	if st, err := os.Stat(target); err == nil {
		if st.IsDir() {
			if _, err := os.Stat(filepath.Join(target, "oci-layout")); err == nil {
				return "image"
			}
			return "directory"
		}
		if isTar(target) {
			return "image"
		}
		return "zip"
	}
	// A missing path is a file the user mistyped, unless it names a
	// registry host ("public.ecr.aws/...", "localhost:5000/...") or a tag
	// or digest ("python:3.12", "app@sha256:...").
	first, _, hasSlash := strings.Cut(target, "/")
	if (hasSlash && strings.ContainsAny(first, ".:")) || strings.Contains(target, "@sha256:") ||
		(!hasSlash && strings.Contains(target, ":") && !strings.ContainsAny(target, `\`)) {
		if _, err := name.ParseReference(target); err == nil {
			return "image"
		}
	}
	return "zip"
}

// isTar: a ustar header's magic sits at offset 257.
func isTar(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 262)
	if _, err := io.ReadFull(f, b); err != nil {
		return false
	}
	return string(b[257:262]) == "ustar"
}

// defaultDBPath is where `db update` writes: $LAMBDASCAN_DB, else the user cache.
func defaultDBPath() string {
	if p := os.Getenv("LAMBDASCAN_DB"); p != "" {
		return p
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "lambdascan", "osv.lsdb")
}
