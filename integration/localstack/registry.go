package localstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The local stack's ECR: go-containerregistry's in-process registry stands
// in for every <account>.dkr.ecr.<region>.amazonaws.com host (the scanner
// is pointed at it with LAMBDASCAN_ECR_MIRROR), and it only lets in the
// password moto's ECR GetAuthorizationToken hands out ("<account>-auth-token"),
// so a scan that skips the ECR login fails here as it would on AWS.

// serveRegistry starts the registry; pulls are counted by blob.
func (e *Env) serveRegistry() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	e.registry = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "AWS" || !strings.HasSuffix(pass, "-auth-token") {
			w.Header().Set("WWW-Authenticate", `Basic realm="ecr"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			e.mu.Lock()
			e.blobPulls++
			e.mu.Unlock()
		}
		reg.ServeHTTP(w, r)
	})}
	go e.registry.Serve(ln)
	e.RegistryHost = ln.Addr().String()
	return nil
}

// BlobPulls is how many layer or config blobs were read from the registry.
func (e *Env) BlobPulls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.blobPulls
}

// ECRURI is the image URI ECR would give repo:tag in this env's account.
func (e *Env) ECRURI(repo, tag string) string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s:%s", e.Account, Region, repo, tag)
}

// PushImage pushes img (or an index, through idx) to the registry as
// repo:tag and records the manifest in moto's ECR with its real digest, as
// a docker push to ECR would; it returns the ECR image URI.
func (e *Env) PushImage(ctx context.Context, repo, tag string, img v1.Image) (string, error) {
	ref, err := name.ParseReference(e.RegistryHost+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		return "", err
	}
	auth := &authn.Basic{Username: "AWS", Password: e.Account + "-auth-token"}
	if err := remote.Write(ref, img, remote.WithAuth(auth), remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return "", err
	}
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	mt, err := img.MediaType()
	if err != nil {
		return "", err
	}
	c := ecr.NewFromConfig(e.AWS.Config, func(o *ecr.Options) { o.BaseEndpoint = aws.String(e.Stack.Endpoint) })
	if _, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo)}); err != nil {
		var exists *ecrtypes.RepositoryAlreadyExistsException
		if !errors.As(err, &exists) {
			return "", fmt.Errorf("ECR repository %s: %w", repo, err)
		}
	}
	if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(string(manifest)),
		ImageManifestMediaType: aws.String(string(mt)), ImageTag: aws.String(tag), ImageDigest: aws.String(digest.String())}); err != nil {
		return "", fmt.Errorf("ECR PutImage %s:%s: %w", repo, tag, err)
	}
	return e.ECRURI(repo, tag), nil
}

// CreateImageFunction creates a container-image function for arch
// (x86_64 or arm64).
func (e *Env) CreateImageFunction(ctx context.Context, fnName, imageURI, arch string) (string, error) {
	out, err := e.AWS.Lambda.CreateFunction(ctx, &lambdasvc.CreateFunctionInput{
		FunctionName: aws.String(fnName), PackageType: lambdatypes.PackageTypeImage,
		Role:          aws.String("arn:aws:iam::" + e.Account + ":role/" + FunctionRole),
		Code:          &lambdatypes.FunctionCode{ImageUri: aws.String(imageURI)},
		Architectures: []lambdatypes.Architecture{lambdatypes.Architecture(arch)},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.FunctionArn), nil
}
