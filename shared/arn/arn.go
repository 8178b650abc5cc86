// Package arn parses the ways the Lambda API names a function: a name, a
// partial ARN (123456789012:function:name) or a full ARN, each optionally
// qualified. It follows the FunctionName pattern of the Lambda API reference.
package arn

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrInvalid is returned for anything that is not a Lambda function reference.
var ErrInvalid = errors.New("invalid Lambda function reference")

// Function identifies one function (and optional qualifier).
type Function struct {
	Partition string `json:"partition"`
	Region    string `json:"region"`
	Account   string `json:"account"`
	Name      string `json:"name"`
	Qualifier string `json:"qualifier,omitempty"` // $LATEST, a version number or an alias
}

// The Lambda API reference's FunctionName pattern, split into its parts:
// (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?
// Bounded repeats ({1,64}) compile to large automata that every binary
// linking this package would build at start-up, so lengths and character
// classes are checked by hand (token) and only the short patterns are regexps.
var (
	reName      = token{max: 64}
	reQualifier = qualifier{}
	reAccount   = token{max: 12, min: 12, digits: true}
	reRegion    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	rePartition = regexp.MustCompile(`^aws(-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?$`)
)

// token matches [a-zA-Z0-9_-]{min,max} ([0-9] only with digits); min 0 means 1.
type token struct {
	min, max int
	digits   bool
}

func (t token) MatchString(s string) bool {
	if len(s) < max(t.min, 1) || len(s) > t.max {
		return false
	}
	for _, c := range []byte(s) {
		digit := c >= '0' && c <= '9'
		word := digit || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
		if (t.digits && !digit) || !word {
			return false
		}
	}
	return true
}

// qualifier matches $LATEST, a version or an alias ([a-zA-Z0-9_-]{1,128}).
type qualifier struct{}

func (qualifier) MatchString(s string) bool { return s == "$LATEST" || token{max: 128}.MatchString(s) }

// Parse reads a function reference. Names and partial ARNs take region,
// account and partition from defaults (the event's or the scanner's own);
// a full ARN carries its own.
func Parse(ref string, defaults Function) (Function, error) {
	if ref == "" {
		return Function{}, fmt.Errorf("%w: empty", ErrInvalid)
	}
	if len(ref) > 256 {
		return Function{}, fmt.Errorf("%w: longer than 256 characters", ErrInvalid)
	}
	f := Function{Partition: defaults.Partition, Region: defaults.Region, Account: defaults.Account}
	parts := strings.Split(ref, ":")
	switch {
	case parts[0] == "arn":
		// arn:partition:lambda:region:account:function:name[:qualifier]
		if len(parts) < 7 || len(parts) > 8 || parts[2] != "lambda" || parts[5] != "function" {
			return Function{}, fmt.Errorf("%w: %q is not a function ARN", ErrInvalid, ref)
		}
		f.Partition, f.Region, f.Account, f.Name = parts[1], parts[3], parts[4], parts[6]
		if len(parts) == 8 {
			f.Qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		// account:function:name[:qualifier]
		if len(parts) > 4 {
			return Function{}, fmt.Errorf("%w: %q", ErrInvalid, ref)
		}
		f.Account, f.Name = parts[0], parts[2]
		if len(parts) == 4 {
			f.Qualifier = parts[3]
		}
	case len(parts) <= 2:
		// name[:qualifier]
		f.Name = parts[0]
		if len(parts) == 2 {
			f.Qualifier = parts[1]
		}
	default:
		return Function{}, fmt.Errorf("%w: %q", ErrInvalid, ref)
	}
	if err := f.validate(); err != nil {
		return Function{}, fmt.Errorf("%w: %q: %v", ErrInvalid, ref, err)
	}
	return f, nil
}

func (f Function) validate() error {
	switch {
	case !reName.MatchString(f.Name):
		return fmt.Errorf("function name %q: letters, digits, - and _ only, 1 to 64", f.Name)
	case f.Qualifier != "" && !reQualifier.MatchString(f.Qualifier):
		return fmt.Errorf("qualifier %q", f.Qualifier)
	case !reAccount.MatchString(f.Account):
		return fmt.Errorf("account %q: 12 digits (give a full ARN, or the account in the defaults)", f.Account)
	case !reRegion.MatchString(f.Region):
		return fmt.Errorf("region %q", f.Region)
	case !rePartition.MatchString(f.Partition):
		return fmt.Errorf("partition %q", f.Partition)
	}
	return nil
}

// ARN is the function's unqualified ARN: the identity a scan is keyed by.
func (f Function) ARN() string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", f.Partition, f.Region, f.Account, f.Name)
}

// QualifiedARN includes the qualifier when there is one.
func (f Function) QualifiedARN() string {
	if f.Qualifier == "" {
		return f.ARN()
	}
	return f.ARN() + ":" + f.Qualifier
}

// PartitionOf returns the partition a region belongs to.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	}
	return "aws"
}

// Layer is a layer version ARN: arn:partition:lambda:region:account:layer:name:version.
type Layer struct {
	Partition, Region, Account, Name string
	Version                          int64
}

var (
	reLayerPartition = regexp.MustCompile(`^aws[a-zA-Z-]*$`)
	reLayerRegion    = regexp.MustCompile(`^[a-z0-9-]+$`)
)

// NameARN is the layer's ARN without the version: GetLayerVersion takes it
// with the version number (GetLayerVersionByArn is the same call; the
// local emulator answers only this form).
func (l Layer) NameARN() string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:layer:%s", l.Partition, l.Region, l.Account, l.Name)
}

// ParseLayer reads a layer version ARN.
func ParseLayer(s string) (Layer, error) {
	m := strings.Split(s, ":")
	if len(m) != 8 || m[0] != "arn" || m[2] != "lambda" || m[5] != "layer" ||
		!reLayerPartition.MatchString(m[1]) || !reLayerRegion.MatchString(m[3]) ||
		!reAccount.MatchString(m[4]) || !(token{max: 140}).MatchString(m[6]) || !(token{max: 19, digits: true}).MatchString(m[7]) {
		return Layer{}, fmt.Errorf("%w: %q is not a layer version ARN", ErrInvalid, s)
	}
	var v int64
	if _, err := fmt.Sscanf(m[7], "%d", &v); err != nil || v < 1 {
		return Layer{}, fmt.Errorf("%w: layer version %q", ErrInvalid, m[7])
	}
	return Layer{Partition: m[1], Region: m[3], Account: m[4], Name: m[6], Version: v}, nil
}
