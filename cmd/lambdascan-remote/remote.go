package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/lambdascan/lambdascan/internal/awsenv"
	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/image"
)

// maxDownload bounds a deployment package or layer zip (Lambda allows 250 MB
// unzipped; a zip is smaller).
const maxDownload = 1 << 30

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
// downloads the code and layers into dir.
func fetchFunction(ctx context.Context, ref, dir string) (*deployed, error) {
	f, err := arn.Parse(ref, arn.Function{})
	if err != nil {
		return nil, err
	}
	lc, err := lambdaClient(f.Region)
	if err != nil {
		return nil, err
	}
	in := &lambda.GetFunctionInput{FunctionName: aws.String(f.ARN())}
	if f.Qualifier != "" {
		in.Qualifier = aws.String(f.Qualifier)
	}
	out, err := lc.GetFunction(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("GetFunction %s: %w", f.ARN(), err)
	}
	cfg := out.Configuration
	d := &deployed{ARN: f.ARN(), CodeSha256: aws.ToString(cfg.CodeSha256), Runtime: string(cfg.Runtime)}
	if len(cfg.Architectures) > 0 {
		d.Arch = string(cfg.Architectures[0])
	}
	if cfg.PackageType == lambdatypes.PackageTypeImage {
		if out.Code != nil {
			d.ImageURI = aws.ToString(out.Code.ResolvedImageUri)
			if d.ImageURI == "" {
				d.ImageURI = aws.ToString(out.Code.ImageUri)
			}
		}
		if d.ImageURI == "" {
			return nil, fmt.Errorf("GetFunction %s: an image function without an image URI", f.ARN())
		}
		return d, nil
	}
	if out.Code == nil || aws.ToString(out.Code.Location) == "" {
		return nil, fmt.Errorf("GetFunction %s returned no code location", f.ARN())
	}
	d.Zip = filepath.Join(dir, "function.zip")
	if err := download(ctx, aws.ToString(out.Code.Location), d.Zip); err != nil {
		return nil, fmt.Errorf("downloading %s: %w", f.ARN(), err)
	}
	for _, l := range cfg.Layers {
		dl, err := fetchLayer(ctx, lc, aws.ToString(l.Arn), dir)
		if err != nil {
			return nil, err
		}
		d.Layers = append(d.Layers, dl)
	}
	return d, nil
}

// fetchLayer downloads one layer version (lc may be nil: built for the
// layer's region).
func fetchLayer(ctx context.Context, lc *lambda.Client, layerARN, dir string) (deployedLayer, error) {
	l, err := arn.ParseLayer(layerARN)
	if err != nil {
		return deployedLayer{}, err
	}
	if lc == nil {
		if lc, err = lambdaClient(l.Region); err != nil {
			return deployedLayer{}, err
		}
	}
	out, err := lc.GetLayerVersion(ctx, &lambda.GetLayerVersionInput{LayerName: aws.String(l.NameARN()), VersionNumber: aws.Int64(l.Version)})
	if err != nil {
		return deployedLayer{}, fmt.Errorf("GetLayerVersion %s: %w", layerARN, err)
	}
	if out.Content == nil || aws.ToString(out.Content.Location) == "" {
		return deployedLayer{}, fmt.Errorf("layer %s has no content location", layerARN)
	}
	p := filepath.Join(dir, fmt.Sprintf("layer-%s-%s-%s-%d.zip", l.Account, l.Region, l.Name, l.Version))
	if err := download(ctx, aws.ToString(out.Content.Location), p); err != nil {
		return deployedLayer{}, fmt.Errorf("downloading %s: %w", layerARN, err)
	}
	return deployedLayer{ARN: layerARN, CodeSha256: aws.ToString(out.Content.CodeSha256), Zip: p}, nil
}

// download GETs a presigned URL (never printed: it carries credentials).
func download(ctx context.Context, location, path string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
	if err != nil {
		return errors.New("malformed code location")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("request failed: %w", ue.Err) // the cause, without the URL
		}
		return errors.New("request failed")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, maxDownload+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxDownload {
		err = fmt.Errorf("larger than %d bytes", maxDownload)
	}
	return err
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
