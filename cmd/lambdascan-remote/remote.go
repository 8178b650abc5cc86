package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/awsenv"
	"github.com/lambdascan/lambdascan/shared/functioncode"
	"github.com/lambdascan/lambdascan/shared/image"
)

// deployed is a function fetched for a local scan, as the workflow's fetch
// step sees it: code zip (or image) and every layer.
type deployed struct {
	ARN, CodeSha256, Runtime string
	Zip                      string // local copy of the code zip
	ImageURI, Arch           string // image functions
	Layers                   []deployedLayer
}

type deployedLayer struct{ ARN, CodeSha256, Zip string }

func lambdaClient(region string) (*lambda.Client, error) {
	cfg, ep, err := awsenv.Config(region)
	if err != nil {
		return nil, err
	}
	return lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	}), nil
}

// fetchFunction calls GetFunction with the caller's credentials and
// downloads the code and layers into dir (package functioncode, as the
// workflow's fetch step does).
func fetchFunction(ctx context.Context, ref, dir string) (*deployed, error) {
	f, err := arn.Parse(ref, arn.Function{})
	if err != nil {
		return nil, err
	}
	lc, err := lambdaClient(f.Region)
	if err != nil {
		return nil, err
	}
	fn, err := functioncode.Get(ctx, lc, f.ARN(), f.Qualifier)
	if err != nil {
		return nil, err
	}
	d := &deployed{ARN: fn.ARN, CodeSha256: fn.Code.CodeSha256, Runtime: fn.Code.Runtime, ImageURI: fn.Code.ImageURI, Arch: fn.Arch}
	if fn.IsImage() {
		return d, nil
	}
	d.Zip = filepath.Join(dir, "function.zip")
	if err := fn.Save(ctx, functioncode.Downloader{}, d.Zip); err != nil {
		return nil, fmt.Errorf("downloading %s: %w", f.ARN(), err)
	}
	for _, l := range fn.Code.Layers {
		dl, err := fetchLayer(ctx, lc, l, dir)
		if err != nil {
			return nil, err
		}
		d.Layers = append(d.Layers, dl)
	}
	return d, nil
}

// fetchLayer downloads one layer version (lc may be nil: built for the
// layer's region).
func fetchLayer(ctx context.Context, lc functioncode.LambdaAPI, layerARN, dir string) (deployedLayer, error) {
	l, err := arn.ParseLayer(layerARN)
	if err != nil {
		return deployedLayer{}, err
	}
	if lc == nil {
		if lc, err = lambdaClient(l.Region); err != nil {
			return deployedLayer{}, err
		}
	}
	lv, err := functioncode.GetLayer(ctx, lc, layerARN)
	if err != nil {
		return deployedLayer{}, err
	}
	p := filepath.Join(dir, fmt.Sprintf("layer-%s-%s-%s-%d.zip", l.Account, l.Region, l.Name, l.Version))
	if err := lv.Save(ctx, functioncode.Downloader{}, p); err != nil {
		return deployedLayer{}, fmt.Errorf("downloading %s: %w", layerARN, err)
	}
	return deployedLayer{ARN: layerARN, CodeSha256: lv.CodeSha256, Zip: p}, nil
}

// ecrAuth logs in to the ECR registry of an image URI with the caller's
// credentials; other registries use the Docker config keychain (nil).
func ecrAuth(ctx context.Context, imageURI string) (authn.Authenticator, error) {
	account, region, ok := image.ECRRegistry(imageURI)
	if !ok {
		return nil, nil
	}
	cfg, ep, err := awsenv.Config(region)
	if err != nil {
		return nil, err
	}
	c := ecr.NewFromConfig(cfg, func(o *ecr.Options) {
		if ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	return image.ECRAuth(ctx, c, account)
}
