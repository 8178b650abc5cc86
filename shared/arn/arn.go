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
var (
	reName      = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	reQualifier = regexp.MustCompile(`^(\$LATEST|[0-9]+|[a-zA-Z0-9_-]{1,128})$`)
	reAccount   = regexp.MustCompile(`^[0-9]{12}$`)
	reRegion    = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$`)
	rePartition = regexp.MustCompile(`^aws(-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?$`)
)

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

var reLayer = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):([0-9]{12}):layer:([a-zA-Z0-9_-]{1,140}):([0-9]+)$`)

// ParseLayer reads a layer version ARN.
func ParseLayer(s string) (Layer, error) {
	m := reLayer.FindStringSubmatch(s)
	if m == nil {
		return Layer{}, fmt.Errorf("%w: %q is not a layer version ARN", ErrInvalid, s)
	}
	var v int64
	if _, err := fmt.Sscanf(m[5], "%d", &v); err != nil || v < 1 {
		return Layer{}, fmt.Errorf("%w: layer version %q", ErrInvalid, m[5])
	}
	return Layer{Partition: m[1], Region: m[2], Account: m[3], Name: m[4], Version: v}, nil
}
