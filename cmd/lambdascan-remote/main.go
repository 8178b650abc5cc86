// Command lambdascan-remote is the half of `lambdascan scan` that reads
// container images (docker save tarballs, OCI layouts, registries, ECR) and
// deployed functions and layers (ARNs, with AWS credentials from the
// environment). `lambdascan scan` runs it for those targets; on its own it
// takes the same arguments after "scan". It also answers `lambdascan
// affected` and `lambdascan findings` from the findings store.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/lambdascan/lambdascan/internal/scancli"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/image"
	"github.com/lambdascan/lambdascan/shared/imagerun"
	"github.com/lambdascan/lambdascan/shared/imagescan"
	"github.com/lambdascan/lambdascan/shared/inventory"
	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scan"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

const cmdName = "lambdascan scan"

const usage = `Usage:
  lambdascan-remote scan [flags] TARGET

The half of ` + "`lambdascan scan`" + ` that reads container images and deployed functions and
layers (ARNs): lambdascan runs it for those targets with the same arguments. It takes every
` + "`lambdascan scan`" + ` flag; see ` + "`lambdascan-remote scan --help`" + `.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, usage)
		return scancli.ExitOK
	}
	if len(args) > 0 {
		switch args[0] {
		case "affected":
			return cmdAffected(ctx, args[1:], stdout, stderr)
		case "findings":
			return cmdFindings(ctx, args[1:], stdout, stderr)
		}
	}
	if len(args) == 0 || args[0] != "scan" {
		fmt.Fprint(stderr, usage)
		return scancli.ExitError
	}
	req, code, ok := scancli.Parse(cmdName, args[1:], stdout, stderr)
	if !ok {
		return code
	}
	return scancli.Run(ctx, cmdName, req, scanRemote, stdout, stderr)
}

// scanRemote scans an image, a function or layer ARN (zips and directories
// too, so the command stands on its own).
func scanRemote(ctx context.Context, db *vulndb.DB, req scancli.Request, tmp string) (*report.Report, error) {
	var plat *v1.Platform
	if req.Platform != "" {
		p, err := v1.ParsePlatform(req.Platform)
		if err != nil {
			return nil, fmt.Errorf("--platform %q: %w", req.Platform, err)
		}
		plat = p
	}
	layerRefs, target := req.Layers, req.Target
	if scancli.KindOf(target) == scancli.KindLayer {
		layerRefs, target = append(layerRefs, target), "" // a layer version ARN is a layer target
	}
	var layers []scancli.Layer
	for _, l := range layerRefs {
		if scancli.KindOf(l) != scancli.KindLayer {
			layers = append(layers, scancli.Layer{Zip: l, Name: filepath.Base(l)})
			continue
		}
		dl, err := fetchLayer(ctx, nil, l, tmp)
		if err != nil {
			return nil, err
		}
		layers = append(layers, scancli.Layer{Zip: dl.Zip, Name: l, CodeSha256: dl.CodeSha256})
	}
	switch scancli.KindOf(target) {
	case scancli.KindFunction:
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
		var own []scancli.Layer
		for _, l := range d.Layers {
			own = append(own, scancli.Layer{Zip: l.Zip, Name: l.ARN, CodeSha256: l.CodeSha256})
		}
		return scancli.ScanZip(ctx, db, tgt, d.Zip, append(own, layers...)), nil
	case scancli.KindImage:
		p := v1.Platform{OS: "linux", Architecture: "amd64"}
		if plat != nil {
			p = *plat
		}
		return scanImage(ctx, db, report.Target{Kind: "image"}, target, p)
	}
	return scancli.ScanZip(ctx, db, report.Target{}, target, layers), nil // a local zip or directory ("": the layers alone)
}

// scanImage opens an image (tarball, OCI layout, registry; ECR with the
// caller's credentials) and scans it.
func scanImage(ctx context.Context, db *vulndb.DB, tgt report.Target, ref string, p v1.Platform) (*report.Report, error) {
	// A failed ECR login is the registry refusing us: a failed report
	// named RegistryUnauthorized, as a 401 from the registry would be.
	auth, authErr := ecrAuth(ctx, ref)
	// The mirror stands in for ECR on a local stack only: an ECR token for
	// real credentials never goes to a plain-HTTP host otherwise.
	mirror := ""
	if os.Getenv(config.EndpointEnv) != "" {
		mirror = os.Getenv(image.MirrorEnv)
	}
	var img v1.Image
	var info image.Info
	var err error
	if authErr != nil {
		info, err = image.Info{Ref: ref, Source: image.SourceRegistry}, fmt.Errorf("%w: ECR login for %s: %v", image.ErrUnauthorized, ref, authErr)
	} else {
		img, info, err = image.Open(ctx, ref, image.Options{Platform: p, Auth: auth, ECRMirror: mirror})
	}
	tgt.Image = &report.Image{Ref: ref, Digest: info.Digest, Platform: info.Platform}
	if tgt.Path == "" && info.Source != image.SourceRegistry {
		tgt.Path = ref
	}
	if err != nil { // the report of a target that cannot be opened: failed, with the named error
		return scan.RunWith(ctx, db, tgt, scan.Options{}, func(context.Context, *report.Report) (*inventory.Result, error) { return nil, err }), nil
	}
	return imagerun.Run(ctx, db, tgt, img, imagerun.Options{MaxLayerBytes: imagescan.DefaultOptions().MaxLayerBytes}), nil
}
