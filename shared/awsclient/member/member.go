// Package member hands out SDK configurations per account and region: the
// scanner's own, or one acting through the member account's read-only role
// with the ExternalId. The Lambda API is regional, so a client follows the
// function's region.
package member

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
)

// Sessions builds configurations for accounts and regions.
type Sessions struct {
	Env awsclient.Env
	// Account is the scanner's own; functions of other accounts are read
	// through arn:<Partition>:iam::<account>:role/<RoleName> ("" RoleName:
	// the scanner's own credentials for every account).
	Account, Partition, RoleName string
	// ExternalID, or the Secrets Manager secret holding it.
	ExternalID, ExternalIDSecret string

	once  sync.Once
	stsc  *sts.Client
	extMu sync.Mutex
	extID string
}

// New is the sessions of a step configured by cfg.
func New(env awsclient.Env, cfg config.Config) *Sessions {
	return &Sessions{Env: env, Account: cfg.Account, Partition: cfg.Partition, RoleName: cfg.CrossAccountRoleName,
		ExternalID: cfg.ExternalID, ExternalIDSecret: cfg.ExternalIDSecret}
}

// Own says whether account's functions are read with the scanner's own
// credentials.
func (s *Sessions) Own(account string) bool {
	return account == "" || account == s.Account || s.RoleName == ""
}

// Config is the configuration for account in region ("" region: the
// scanner's).
func (s *Sessions) Config(ctx context.Context, account, region string) (aws.Config, error) {
	env := s.Env.InRegion(region)
	if s.Own(account) {
		return env.Config, nil
	}
	ext, err := s.externalID(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	s.once.Do(func() {
		s.stsc = sts.NewFromConfig(s.Env.Config, func(o *sts.Options) { o.BaseEndpoint = s.Env.Base() })
	})
	role := fmt.Sprintf("arn:%s:iam::%s:role/%s", s.Partition, account, s.RoleName)
	cfg := env.Config
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(s.stsc, role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "lambdascan"
		if ext != "" {
			o.ExternalID = aws.String(ext)
		}
	}))
	return cfg, nil
}

// externalID reads the ExternalId once: from configuration, or from the
// configured secret.
func (s *Sessions) externalID(ctx context.Context) (string, error) {
	s.extMu.Lock()
	defer s.extMu.Unlock()
	if s.extID != "" || s.ExternalIDSecret == "" {
		if s.extID == "" {
			s.extID = s.ExternalID
		}
		return s.extID, nil
	}
	sm := secretsmanager.NewFromConfig(s.Env.Config, func(o *secretsmanager.Options) { o.BaseEndpoint = s.Env.Base() })
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.ExternalIDSecret)})
	if err != nil {
		return "", awsclient.Classify("read ExternalId secret", err)
	}
	s.extID = aws.ToString(out.SecretString)
	return s.extID, nil
}

// Clients caches one client of type T per account and region.
type Clients[T any] struct {
	Sessions *Sessions
	New      func(aws.Config) T

	mu sync.Mutex
	m  map[string]T
}

// NewClients caches clients made by mk (which sets the endpoint override).
func NewClients[T any](s *Sessions, mk func(aws.Config) T) *Clients[T] {
	return &Clients[T]{Sessions: s, New: mk}
}

// For returns the client for account's functions in region.
func (c *Clients[T]) For(ctx context.Context, account, region string) (T, error) {
	if region == "" {
		region = c.Sessions.Env.Config.Region
	}
	key := account + "|" + region
	if c.Sessions.Own(account) {
		key = "|" + region
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.m[key]; ok {
		return cl, nil
	}
	cfg, err := c.Sessions.Config(ctx, account, region)
	if err != nil {
		var zero T
		return zero, err
	}
	cl := c.New(cfg)
	if c.m == nil {
		c.m = map[string]T{}
	}
	c.m[key] = cl
	return cl, nil
}
