package arn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/arn"
)

var defaults = arn.Function{Partition: "aws", Region: "eu-west-1", Account: "123456789012"}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string // QualifiedARN, "" for an error
	}{
		{"thumbnailer", "arn:aws:lambda:eu-west-1:123456789012:function:thumbnailer"},
		{"thumbnailer:$LATEST", "arn:aws:lambda:eu-west-1:123456789012:function:thumbnailer:$LATEST"},
		{"thumbnailer:7", "arn:aws:lambda:eu-west-1:123456789012:function:thumbnailer:7"},
		{"thumbnailer:prod", "arn:aws:lambda:eu-west-1:123456789012:function:thumbnailer:prod"},
		{"210987654321:function:billing", "arn:aws:lambda:eu-west-1:210987654321:function:billing"},
		{"210987654321:function:billing:live", "arn:aws:lambda:eu-west-1:210987654321:function:billing:live"},
		{"arn:aws:lambda:us-east-1:210987654321:function:a_b-C9", "arn:aws:lambda:us-east-1:210987654321:function:a_b-C9"},
		{"arn:aws-cn:lambda:cn-north-1:210987654321:function:f", "arn:aws-cn:lambda:cn-north-1:210987654321:function:f"},
		{"arn:aws-us-gov:lambda:us-gov-west-1:210987654321:function:f:3", "arn:aws-us-gov:lambda:us-gov-west-1:210987654321:function:f:3"},
		{"arn:aws-iso:lambda:us-iso-east-1:210987654321:function:f", "arn:aws-iso:lambda:us-iso-east-1:210987654321:function:f"},
		{"arn:aws-iso-b:lambda:us-isob-east-1:210987654321:function:f", "arn:aws-iso-b:lambda:us-isob-east-1:210987654321:function:f"},
		{"", ""},
		{"has space", ""},
		{"name.with.dots", ""},
		{"a/b", ""},
		{"arn:aws:s3:::bucket", ""},
		{"arn:aws:lambda:eu-west-1:123456789012:layer:pillow:3", ""},
		{"arn:aws:lambda:eu-west-1:12345:function:f", ""},
		{"arn:aws:lambda:EU-WEST-1:123456789012:function:f", ""},
		{"arn:aws:lambda:eu-west-1:123456789012:function:f:bad:extra", ""},
		{"arn:evil:lambda:eu-west-1:123456789012:function:f", ""},
		{"f:bad qualifier", ""},
		{"x234567890123456789012345678901234567890123456789012345678901234567", ""},
		{"1:2:3", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			f, err := arn.Parse(tc.in, defaults)
			if tc.want == "" {
				require.ErrorIs(t, err, arn.ErrInvalid)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, f.QualifiedARN())
		})
	}
}

func TestNameNeedsAccount(t *testing.T) {
	_, err := arn.Parse("thumbnailer", arn.Function{Partition: "aws", Region: "eu-west-1"})
	assert.ErrorIs(t, err, arn.ErrInvalid)
}

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{"eu-west-1": "aws", "cn-northwest-1": "aws-cn", "us-gov-east-1": "aws-us-gov", "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b"} {
		assert.Equal(t, want, arn.PartitionOf(region), region)
	}
}

func TestParseLayer(t *testing.T) {
	l, err := arn.ParseLayer("arn:aws:lambda:eu-west-1:123456789012:layer:pillow:4")
	require.NoError(t, err)
	assert.Equal(t, arn.Layer{Partition: "aws", Region: "eu-west-1", Account: "123456789012", Name: "pillow", Version: 4}, l)
	for _, bad := range []string{"arn:aws:lambda:eu-west-1:123456789012:layer:pillow", "arn:aws:lambda:eu-west-1:123456789012:layer:pillow:0", "pillow:4"} {
		_, err := arn.ParseLayer(bad)
		assert.ErrorIs(t, err, arn.ErrInvalid, bad)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"thumbnailer", "123456789012:function:f:1", "arn:aws:lambda:eu-west-1:123456789012:function:f:$LATEST", "arn:aws-cn:lambda:cn-north-1:1:function:f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fn, err := arn.Parse(s, defaults)
		if err != nil {
			return
		}
		// Whatever parses must round-trip through its own ARN.
		again, err := arn.Parse(fn.QualifiedARN(), arn.Function{})
		if err != nil || again != fn {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, fn, fn.QualifiedARN(), again, err)
		}
	})
}
