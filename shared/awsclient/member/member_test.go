package member_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/awsclient/member"
)

// One client per account and region; the scanner's own account never
// assumes a role, a member account always does (with the ExternalId).
func TestClients(t *testing.T) {
	env := awsclient.Env{Config: aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}}}
	s := &member.Sessions{Env: env, Account: "111111111111", Partition: "aws", RoleName: "lambdascan-member", ExternalID: "ext"}
	type client struct {
		region  string
		assumed bool
	}
	made := 0
	c := member.NewClients(s, func(cfg aws.Config) client {
		made++
		_, own := cfg.Credentials.(aws.AnonymousCredentials)
		return client{region: cfg.Region, assumed: !own}
	})
	ctx := context.Background()
	for _, tc := range []struct {
		account, region string
		want            client
	}{
		{"", "", client{"eu-west-1", false}},
		{"111111111111", "eu-west-1", client{"eu-west-1", false}},
		{"111111111111", "us-east-1", client{"us-east-1", false}},
		{"222222222222", "eu-west-1", client{"eu-west-1", true}},
		{"222222222222", "eu-west-1", client{"eu-west-1", true}},
	} {
		got, err := c.For(ctx, tc.account, tc.region)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "%s %s", tc.account, tc.region)
	}
	assert.Equal(t, 3, made, "own account in its region, own account elsewhere, the member: cached after")

	s.RoleName = ""
	assert.True(t, s.Own("222222222222"), "without a member role every account is read with our own credentials")
}
