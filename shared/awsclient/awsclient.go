// Package awsclient is the one way the steps build AWS clients and move
// JSON through S3. LAMBDASCAN_AWS_ENDPOINT points every client at one
// endpoint (the local stack's moto server); unset, the SDK's normal
// resolution applies. Each step builds only the clients it calls, so a
// step links only the SDK services it uses; member-account sessions are in
// package awsclient/member.
package awsclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdascan/lambdascan/shared/awsenv"
	lsconfig "github.com/lambdascan/lambdascan/shared/config"
)

// EndpointEnv names the endpoint override.
const EndpointEnv = lsconfig.EndpointEnv

// Env is one SDK configuration and the endpoint override, if any.
type Env struct {
	Config   aws.Config
	Endpoint string
}

// Load reads the configuration a step Lambda runs with: the execution
// role's credentials and the region, both from the environment Lambda sets.
// The SDK's full loader (shared files, SSO, IMDS) is left out on purpose:
// it would add megabytes and milliseconds to every cold start.
func Load() (Env, error) {
	cfg, ep, err := awsenv.Config("")
	if err != nil {
		return Env{}, err
	}
	return Env{Config: cfg, Endpoint: ep}, nil
}

// Base is the BaseEndpoint every client option gets (nil: the SDK's).
func (e Env) Base() *string {
	if e.Endpoint == "" {
		return nil
	}
	return aws.String(e.Endpoint)
}

// InRegion is e for another region.
func (e Env) InRegion(region string) Env {
	e.Config = e.Config.Copy()
	if region != "" {
		e.Config.Region = region
	}
	return e
}

// S3 is the S3 client (path-style when local: no bucket DNS there).
func (e Env) S3() *s3.Client {
	return s3.NewFromConfig(e.Config, func(o *s3.Options) {
		o.BaseEndpoint = e.Base()
		o.UsePathStyle = e.Endpoint != ""
	})
}

// S3API is the part of S3 the steps call (tests fake it).
type S3API interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// GetJSON decodes the object bucket/key into v. A missing object is
// reported as such (IsNotFound), other failures through Classify.
func GetJSON(ctx context.Context, c S3API, bucket, key string, v any) error {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		if IsNotFound(err) {
			return err
		}
		return Classify("read "+key, err)
	}
	defer out.Body.Close()
	if err := json.NewDecoder(out.Body).Decode(v); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// PutJSON writes v to bucket/key as indented JSON.
func PutJSON(ctx context.Context, c S3API, bucket, key string, v any) error {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return PutBytes(ctx, c, bucket, key, body)
}

// PutBytes writes a JSON document already encoded.
func PutBytes(ctx context.Context, c S3API, bucket, key string, body []byte) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("application/json")})
	return Classify("write "+key, err)
}
