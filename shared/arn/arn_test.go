package arn_test

import (
	"regexp"
	"strings"
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
		// The pattern's own reading of the short forms.
		{"function:billing", "arn:aws:lambda:eu-west-1:123456789012:function:billing"},
		{"function:billing:live", "arn:aws:lambda:eu-west-1:123456789012:function:billing:live"},
		{"function:$LATEST", "arn:aws:lambda:eu-west-1:123456789012:function:function:$LATEST"},
		{"function", "arn:aws:lambda:eu-west-1:123456789012:function:function"},
		{"210987654321:billing", "arn:aws:lambda:eu-west-1:210987654321:function:billing"},
		{"210987654321:$LATEST", "arn:aws:lambda:eu-west-1:123456789012:function:210987654321:$LATEST"},
		{"us-east-1:210987654321:function:billing", "arn:aws:lambda:us-east-1:210987654321:function:billing"},
		{"us-east-1:210987654321:function:billing:3", "arn:aws:lambda:us-east-1:210987654321:function:billing:3"},
		{"cn-north-1:210987654321:function:billing", "arn:aws-cn:lambda:cn-north-1:210987654321:function:billing"},
		{"eusc-de-east-1:210987654321:function:billing", "arn:aws-eusc:lambda:eusc-de-east-1:210987654321:function:billing"},
		// A trailing or doubled ':' is not a qualifier.
		{"billing:", ""},
		{"arn:aws:lambda:eu-west-1:123456789012:function:f:", ""},
		{"210987654321:function:billing:", ""},
		{"billing::1", ""},
		// A full ARN is complete.
		{"arn:aws:lambda:billing", ""},
		{"arn:aws:lambda:eu-west-1:123456789012:billing", ""},
		{"arn::lambda:eu-west-1:123456789012:function:f", ""},
		// The partition must hold the region.
		{"arn:aws-cn:lambda:eu-west-1:210987654321:function:f", ""},
		{"arn:aws:lambda:cn-north-1:210987654321:function:f", ""},
		{"arn:aws-us-gov:lambda:us-east-1:210987654321:function:f", ""},
		{"arn:aws:lambda:eusc-de-east-1:210987654321:function:f", ""},
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

// One table per partition: a full ARN in each, a partial ARN taking its
// partition from the region, and the partition paired with a foreign region.
func TestParsePartitions(t *testing.T) {
	for _, tc := range []struct{ partition, region, foreign string }{
		{"aws", "eu-west-1", "cn-north-1"},
		{"aws", "us-east-1", "us-gov-west-1"},
		{"aws-cn", "cn-north-1", "eu-west-1"},
		{"aws-cn", "cn-northwest-1", "us-east-1"},
		{"aws-us-gov", "us-gov-west-1", "us-west-1"},
		{"aws-us-gov", "us-gov-east-1", "us-iso-east-1"},
		{"aws-iso", "us-iso-east-1", "us-east-1"},
		{"aws-iso", "us-iso-west-1", "us-isob-east-1"},
		{"aws-iso-b", "us-isob-east-1", "us-iso-east-1"},
		{"aws-iso-e", "eu-isoe-west-1", "eu-west-1"},
		{"aws-iso-f", "us-isof-south-1", "us-isob-east-1"},
		{"aws-eusc", "eusc-de-east-1", "eu-central-1"},
	} {
		t.Run(tc.region, func(t *testing.T) {
			full := "arn:" + tc.partition + ":lambda:" + tc.region + ":210987654321:function:f:live"
			f, err := arn.Parse(full, arn.Function{})
			require.NoError(t, err)
			assert.Equal(t, arn.Function{Partition: tc.partition, Region: tc.region, Account: "210987654321", Name: "f", Qualifier: "live"}, f)
			assert.Equal(t, full, f.QualifiedARN())
			assert.Equal(t, tc.partition, arn.PartitionOf(tc.region))

			f, err = arn.Parse(tc.region+":210987654321:function:f", defaults)
			require.NoError(t, err)
			assert.Equal(t, "arn:"+tc.partition+":lambda:"+tc.region+":210987654321:function:f", f.ARN())

			f, err = arn.Parse("f", arn.Function{Region: tc.region, Account: "210987654321"})
			require.NoError(t, err)
			assert.Equal(t, tc.partition, f.Partition)

			_, err = arn.Parse("arn:"+tc.partition+":lambda:"+tc.foreign+":210987654321:function:f", arn.Function{})
			assert.ErrorIs(t, err, arn.ErrInvalid)
			_, err = arn.Parse("f", arn.Function{Partition: tc.partition, Region: tc.foreign, Account: "210987654321"})
			assert.ErrorIs(t, err, arn.ErrInvalid)
		})
	}
}

func TestNameNeedsAccount(t *testing.T) {
	_, err := arn.Parse("thumbnailer", arn.Function{Partition: "aws", Region: "eu-west-1"})
	assert.ErrorIs(t, err, arn.ErrInvalid)
}

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{"eu-west-1": "aws", "cn-northwest-1": "aws-cn", "us-gov-east-1": "aws-us-gov", "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b",
		"eusc-de-east-1": "aws-eusc", "eu-isoe-west-1": "aws-iso-e", "us-gov-1": "aws", "ab-isolated-1": "aws"} {
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

// documented is GetFunction's FunctionName pattern from the Lambda API
// reference, anchored. Go's regexp picks the submatches a backtracking
// matcher would, which is how the service reads the optional groups.
var documented = regexp.MustCompile(`^(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$`)

// FuzzParse holds Parse to the documented pattern: it accepts only what the
// pattern matches, reads every part as the pattern's groups do (defaults for
// the absent ones), and accepts every match that also passes the rules
// stricter than the pattern (function names without dots and at most 64
// long, a complete full ARN, a known partition holding the region).
func FuzzParse(f *testing.F) {
	for _, s := range []string{"thumbnailer", "123456789012:function:f:1", "arn:aws:lambda:eu-west-1:123456789012:function:f:$LATEST",
		"arn:aws-cn:lambda:cn-north-1:1:function:f", "function:billing", "eusc-de-east-1:123456789012:function:f", "f:", "123456789012:$LATEST",
		"arn:aws-cn:lambda:eu-west-1:123456789012:function:f", "arn:aws-iso-b:lambda:us-isob-east-1:123456789012:function:f:7"} {
		f.Add(s)
	}
	reRegion := regexp.MustCompile(`^(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d$`)
	reName := regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	known := map[string]bool{"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true, "aws-eusc": true}
	f.Fuzz(func(t *testing.T, s string) {
		fn, err := arn.Parse(s, defaults)
		m := documented.FindStringSubmatch(s)
		if m == nil {
			if err == nil {
				t.Fatalf("%q: accepted (%+v) but the pattern does not match", s, fn)
			}
			return
		}
		want := defaults
		if m[3] != "" {
			want.Region = strings.TrimSuffix(m[3], ":")
			want.Partition = arn.PartitionOf(want.Region)
		}
		if m[1] != "" {
			want.Partition = m[2]
		}
		if m[9] != "" {
			want.Account = strings.TrimSuffix(m[9], ":")
		}
		want.Name, want.Qualifier = m[11], m[13]
		ok := len(s) <= 256 && reName.MatchString(want.Name) && len(want.Qualifier) <= 128 &&
			(m[1] == "" || m[3] != "" && m[9] != "" && m[10] != "") &&
			reRegion.MatchString(want.Region) && (known[want.Partition] || strings.HasPrefix(want.Partition, "aws-iso-") && len(want.Partition) == 9) &&
			want.Partition == arn.PartitionOf(want.Region)
		switch {
		case ok && err != nil:
			t.Fatalf("%q: the pattern reads %+v, Parse refuses: %v", s, want, err)
		case !ok && err == nil:
			t.Fatalf("%q: accepted as %+v, but the rules refuse %+v", s, fn, want)
		case ok && fn != want:
			t.Fatalf("%q: the pattern reads %+v, Parse %+v", s, want, fn)
		}
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
