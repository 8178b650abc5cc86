package workflow

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/vulndbstore"
)

// CacheCheck decides whether the function needs a scan: a hit needs the same
// CodeSha256, sorted layer ARNs, runtime and package type, the current DB
// version, and an unexpired, successful item.
func (d *Deps) CacheCheck(ctx context.Context, t contract.Target) (contract.CacheResult, error) {
	var code contract.Code
	if t.Listed != nil {
		code = *t.Listed // a bulk item: listed moments ago
	} else {
		var err error
		if code, err = d.functionCode(ctx, t); err != nil {
			return contract.CacheResult{}, err
		}
	}
	db, err := d.VulnDB.Current(ctx)
	if errors.Is(err, vulndbstore.ErrNoDB) {
		return contract.CacheResult{}, &contract.VulnDBMissing{}
	}
	if err != nil {
		return contract.CacheResult{}, err
	}
	res := contract.CacheResult{Code: code, DBVersion: db.Version}
	if t.Force {
		return res, nil
	}
	item, ok, err := d.Cache.GetFunction(ctx, t.FunctionARN)
	if err != nil {
		return contract.CacheResult{}, err
	}
	if ok && item.Hit(code, db.Version, d.now()) {
		res.Hit, res.ReportKey, res.Status = true, item.ReportKey, item.Status
	}
	return res, nil
}

// functionCode reads what identifies the deployed code. A layer-only or
// runtime change keeps CodeSha256, so layers and runtime are part of it.
func (d *Deps) functionCode(ctx context.Context, t contract.Target) (contract.Code, error) {
	in := &lambda.GetFunctionConfigurationInput{FunctionName: &t.FunctionARN}
	if t.Qualifier != "" {
		in.Qualifier = aws.String(t.Qualifier)
	}
	lc, err := d.lambdaFor(ctx, t.Account, t.Region)
	if err != nil {
		return contract.Code{}, err
	}
	if err := d.Pace.Wait(ctx, t.Account, t.Region); err != nil {
		return contract.Code{}, err
	}
	out, err := lc.GetFunctionConfiguration(ctx, in)
	if err != nil {
		if awsclient.IsNotFound(err) {
			return contract.Code{}, &contract.FunctionNotFound{FunctionARN: t.FunctionARN}
		}
		return contract.Code{}, awsclient.Classify("GetFunctionConfiguration", err)
	}
	return codeOf(out.CodeSha256, out.Runtime, out.PackageType, out.Layers), nil
}

func codeOf(sha *string, runtime lambdatypes.Runtime, pt lambdatypes.PackageType, layers []lambdatypes.Layer) contract.Code {
	var arns []string
	for _, l := range layers {
		arns = append(arns, aws.ToString(l.Arn))
	}
	return contract.NewCode(aws.ToString(sha), string(runtime), string(pt), arns)
}
