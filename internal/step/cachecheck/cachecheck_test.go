package cachecheck_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/internal/step/cachecheck"
	"github.com/lambdascan/lambdascan/internal/step/steptest"
	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/vulndbstore"
)

const (
	bucket    = "lambdascan-test"
	dbVersion = "20261120T060001Z-3c9f0e1a2b4d"
	sha       = "Jm2b0Uq1J9oWgkKx6v4bT0k7W0m4c2nqfC1m3vHqB9k="
)

type fakeLambda struct {
	out   *lambda.GetFunctionConfigurationOutput
	err   error
	calls int
}

func (f *fakeLambda) GetFunctionConfiguration(_ context.Context, _ *lambda.GetFunctionConfigurationInput, _ ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error) {
	f.calls++
	return f.out, f.err
}

func deployed(sha, runtime string, layers ...string) *lambda.GetFunctionConfigurationOutput {
	out := &lambda.GetFunctionConfigurationOutput{CodeSha256: aws.String(sha), Runtime: lambdatypes.Runtime(runtime), PackageType: lambdatypes.PackageTypeZip}
	for _, l := range layers {
		out.Layers = append(out.Layers, lambdatypes.Layer{Arn: aws.String(l)})
	}
	return out
}

func TestCacheCheck(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	const fn = "arn:aws:lambda:eu-west-1:123456789012:function:orders"
	scanned := contract.NewCode(sha, "nodejs20.x", "Zip", nil)
	for _, tc := range []struct {
		name, state string
		deployed    *lambda.GetFunctionConfigurationOutput
		lambdaErr   error
		item        *cache.FunctionItem
		noDB, force bool
		hit         bool
		calls       int
		wantErr     any
	}{
		{name: "hit", state: "target", deployed: deployed(sha, "nodejs20.x"), calls: 1, hit: true,
			item: &cache.FunctionItem{Code: scanned, DBVersion: dbVersion, Status: "complete", ScannedAt: now.Add(-time.Hour)}},
		{name: "new code", state: "target", deployed: deployed("Zm9v", "nodejs20.x"), calls: 1,
			item: &cache.FunctionItem{Code: scanned, DBVersion: dbVersion, Status: "complete", ScannedAt: now.Add(-time.Hour)}},
		{name: "new layer", state: "target", deployed: deployed(sha, "nodejs20.x", "arn:aws:lambda:eu-west-1:123456789012:layer:auth:2"), calls: 1,
			item: &cache.FunctionItem{Code: scanned, DBVersion: dbVersion, Status: "complete", ScannedAt: now.Add(-time.Hour)}},
		{name: "new DB", state: "target", deployed: deployed(sha, "nodejs20.x"), calls: 1,
			item: &cache.FunctionItem{Code: scanned, DBVersion: "20261119T060001Z-0000", Status: "complete", ScannedAt: now.Add(-time.Hour)}},
		{name: "expired", state: "target", deployed: deployed(sha, "nodejs20.x"), calls: 1,
			item: &cache.FunctionItem{Code: scanned, DBVersion: dbVersion, Status: "complete", ScannedAt: now.Add(-31 * 24 * time.Hour)}},
		{name: "failed scans are not reused", state: "target", deployed: deployed(sha, "nodejs20.x"), calls: 1,
			item: &cache.FunctionItem{Code: scanned, DBVersion: dbVersion, Status: "failed", ScannedAt: now.Add(-time.Hour)}},
		{name: "bulk item: listed code, no call", state: "target-bulk-item"},
		{name: "deleted", state: "target", lambdaErr: &smithy.GenericAPIError{Code: "ResourceNotFoundException"}, calls: 1, wantErr: new(*contract.FunctionNotFound)},
		{name: "throttled", state: "target", lambdaErr: &smithy.GenericAPIError{Code: "TooManyRequestsException"}, calls: 1, wantErr: new(*contract.TransientError)},
		{name: "no DB yet", state: "target", deployed: deployed(sha, "nodejs20.x"), calls: 1, noDB: true, wantErr: new(*contract.VulnDBMissing)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s3 := &steptest.S3{}
			if !tc.noDB {
				b, _ := json.Marshal(contract.VulnDBPointerDoc{Key: "vulndb/" + dbVersion + ".lsdb", Version: dbVersion})
				s3.Put(bucket, contract.VulnDBPointer, b)
			}
			table := &cache.Table{DDB: &steptest.DynamoDB{}, Name: "cache", TTL: 30 * 24 * time.Hour, Now: func() time.Time { return now }}
			if tc.item != nil {
				tc.item.FunctionARN = fn
				_, err := table.PutFunction(context.Background(), *tc.item)
				require.NoError(t, err)
			}
			fl := &fakeLambda{out: tc.deployed, err: tc.lambdaErr}
			h := &cachecheck.Handler{Pace: &cache.RateLimit{}, Cache: table, Now: func() time.Time { return now },
				VulnDB: &vulndbstore.Store{S3: s3, Bucket: bucket},
				Lambda: func(context.Context, string, string) (cachecheck.LambdaAPI, error) { return fl, nil }}
			var in contract.Target
			steptest.Decode(t, tc.state, &in)
			in.Force = tc.force
			out, err := h.Handle(context.Background(), in)
			assert.Equal(t, tc.calls, fl.calls)
			if tc.wantErr != nil {
				require.ErrorAs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.hit, out.Hit)
			assert.Equal(t, dbVersion, out.DBVersion)
			assert.NotEmpty(t, out.Code.CodeSha256)
		})
	}
}
