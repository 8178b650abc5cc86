package workflow

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/awsclient"
)

// accounts hands out Lambda clients per account: the scanner's own, or one
// acting through the member account's read-only role with the ExternalId.
type accounts struct {
	mu      sync.Mutex
	clients map[string]*lambda.Client

	extMu sync.Mutex // externalID is also read outside mu (tagging clients)
	extID string
}

// lambdaFor returns the Lambda client for functions of account in region:
// the scanner's own, or one acting through the member account's role; the
// Lambda API is regional, so the client follows the function's region.
func (d *Deps) lambdaFor(ctx context.Context, account, region string) (*lambda.Client, error) {
	c := d.Config
	own := account == "" || account == c.Account || c.CrossAccountRoleName == ""
	if region == "" {
		region = d.AWS.Config.Region
	}
	if own && region == d.AWS.Config.Region {
		return d.AWS.Lambda, nil
	}
	key := account + "|" + region
	if own {
		key = "|" + region
	}
	d.accounts.mu.Lock()
	defer d.accounts.mu.Unlock()
	if cl, ok := d.accounts.clients[key]; ok {
		return cl, nil
	}
	cfg, err := d.configFor(ctx, account, region)
	if err != nil {
		return nil, err
	}
	cl := awsclient.New(cfg, d.AWS.Endpoint).Lambda
	if d.accounts.clients == nil {
		d.accounts.clients = map[string]*lambda.Client{}
	}
	d.accounts.clients[key] = cl
	return cl, nil
}

// externalID reads the ExternalId once: from configuration, or from the
// configured Secrets Manager secret.
func (d *Deps) externalID(ctx context.Context) (string, error) {
	d.accounts.extMu.Lock()
	defer d.accounts.extMu.Unlock()
	if d.accounts.extID != "" || d.Config.ExternalIDSecret == "" {
		if d.accounts.extID == "" {
			d.accounts.extID = d.Config.ExternalID
		}
		return d.accounts.extID, nil
	}
	sm := secretsmanager.NewFromConfig(d.AWS.Config, func(o *secretsmanager.Options) {
		if d.AWS.Endpoint != "" {
			o.BaseEndpoint = aws.String(d.AWS.Endpoint)
		}
	})
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(d.Config.ExternalIDSecret)})
	if err != nil {
		return "", awsclient.Classify("read ExternalId secret", err)
	}
	d.accounts.extID = aws.ToString(out.SecretString)
	return d.accounts.extID, nil
}

// configFor is the SDK configuration for account/region (assumed role for
// member accounts), for clients other than Lambda.
func (d *Deps) configFor(ctx context.Context, account, region string) (aws.Config, error) {
	cfg := d.AWS.Config.Copy()
	if region != "" {
		cfg.Region = region
	}
	c := d.Config
	if account == "" || account == c.Account || c.CrossAccountRoleName == "" {
		return cfg, nil
	}
	ext, err := d.externalID(ctx)
	if err != nil {
		return cfg, err
	}
	role := fmt.Sprintf("arn:%s:iam::%s:role/%s", c.Partition, account, c.CrossAccountRoleName)
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(d.AWS.STS, role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "lambdascan"
		if ext != "" {
			o.ExternalID = aws.String(ext)
		}
	}))
	return cfg, nil
}

func unqualifiedARN(a string) string {
	if f, err := arn.Parse(a, arn.Function{}); err == nil {
		return f.ARN()
	}
	return a
}
