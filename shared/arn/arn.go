// Package arn parses the ways the Lambda API names a function: a name, a
// partial ARN (123456789012:function:name, region:account:function:name) or
// a full ARN, each optionally qualified. It follows the FunctionName pattern
// of the Lambda API reference.
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

// The Lambda API reference's FunctionName pattern (GetFunction):
//
//	(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?
//
// No group can hold a ':', so the pattern is a sequence of optional
// colon-separated segments; Parse walks them in the order a backtracking
// matcher tries them (an optional group is taken when the rest still
// matches), so `function:billing` is the function billing and
// `123456789012:$LATEST` the function 123456789012. The fuzz target holds
// the walk to the regexp itself. On top of the pattern a function name is
// 1 to 64 of [a-zA-Z0-9_-] (CreateFunction's rule: no dots), a full ARN
// must name region, account and function:, and the partition must be the
// region's. Bounded repeats ({1,64}) compile to large automata that every
// binary linking this package would build at start-up, so lengths and
// character classes are checked by hand (token).
var (
	reName      = token{max: 64}
	reQualifier = qualifier{}
	reAccount   = token{max: 12, min: 12, digits: true}
	reRegion    = regexp.MustCompile(`^(eusc-)?[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	rePartition = regexp.MustCompile(`^aws(-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?$`)
)

// token matches [a-zA-Z0-9_-]{min,max} ([0-9] only with digits, . too
// with dots); min 0 means 1.
type token struct {
	min, max int
	digits   bool
	dots     bool
}

func (t token) MatchString(s string) bool {
	if len(s) < max(t.min, 1) || len(s) > t.max {
		return false
	}
	for _, c := range []byte(s) {
		digit := c >= '0' && c <= '9'
		word := digit || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || t.dots && c == '.'
		if (t.digits && !digit) || !word {
			return false
		}
	}
	return true
}

// qualifier matches $LATEST, a version or an alias ([a-zA-Z0-9_-]{1,128}).
type qualifier struct{}

func (qualifier) MatchString(s string) bool { return s == "$LATEST" || token{max: 128}.MatchString(s) }

// Segments of the pattern, as the reference spells them.
var (
	patName      = token{max: 256, dots: true} // [a-zA-Z0-9-_\.]+
	patQualifier = func(s string) bool { return s == "$LATEST" || token{max: 256}.MatchString(s) }
	patPartition = regexp.MustCompile(`^(aws[a-zA-Z-]*)?$`)
)

// parts is what the pattern's groups captured; present tells an empty
// capture from an absent group.
type parts struct {
	arn, partition, region, account, function, name, qualifier string
	hasARN, hasRegion, hasAccount, hasFunction                 bool
}

// split matches segs against the pattern, preferring each optional group.
func split(segs []string) (parts, bool) {
	var p parts
	var step func(i, at int) bool
	step = func(i, at int) bool {
		rest := segs[at:]
		switch i {
		case 0: // arn:partition:lambda:
			if len(rest) >= 3 && rest[0] == "arn" && patPartition.MatchString(rest[1]) && rest[2] == "lambda" {
				p.hasARN, p.partition = true, rest[1]
				if step(1, at+3) {
					return true
				}
				p.hasARN, p.partition = false, ""
			}
			return step(1, at)
		case 1: // region:
			if len(rest) >= 2 && reRegion.MatchString(rest[0]) {
				p.hasRegion, p.region = true, rest[0]
				if step(2, at+1) {
					return true
				}
				p.hasRegion, p.region = false, ""
			}
			return step(2, at)
		case 2: // account:
			if len(rest) >= 2 && reAccount.MatchString(rest[0]) {
				p.hasAccount, p.account = true, rest[0]
				if step(3, at+1) {
					return true
				}
				p.hasAccount, p.account = false, ""
			}
			return step(3, at)
		case 3: // function:
			if len(rest) >= 2 && rest[0] == "function" {
				p.hasFunction = true
				if step(4, at+1) {
					return true
				}
				p.hasFunction = false
			}
			return step(4, at)
		default: // name[:qualifier], then the end
			switch {
			case len(rest) == 1 && patName.MatchString(rest[0]):
				p.name, p.qualifier = rest[0], ""
				return true
			case len(rest) == 2 && patName.MatchString(rest[0]) && patQualifier(rest[1]):
				p.name, p.qualifier = rest[0], rest[1]
				return true
			}
			return false
		}
	}
	return p, step(0, 0)
}

// Parse reads a function reference: a name, a partial ARN
// (123456789012:function:name, eu-west-1:123456789012:function:name) or a
// full ARN, each optionally qualified. What the reference leaves out comes
// from defaults (the event's or the scanner's own); a region given without
// a partition brings its own partition.
func Parse(ref string, defaults Function) (Function, error) {
	if ref == "" {
		return Function{}, fmt.Errorf("%w: empty", ErrInvalid)
	}
	if len(ref) > 256 {
		return Function{}, fmt.Errorf("%w: longer than 256 characters", ErrInvalid)
	}
	p, ok := split(strings.Split(ref, ":"))
	if !ok {
		return Function{}, fmt.Errorf("%w: %q does not match the FunctionName pattern", ErrInvalid, ref)
	}
	if p.hasARN && !(p.hasRegion && p.hasAccount && p.hasFunction) {
		return Function{}, fmt.Errorf("%w: %q: a function ARN names region, account and function:", ErrInvalid, ref)
	}
	f := Function{Partition: defaults.Partition, Region: defaults.Region, Account: defaults.Account, Name: p.name, Qualifier: p.qualifier}
	if f.Partition == "" && f.Region != "" {
		f.Partition = PartitionOf(f.Region)
	}
	if p.hasRegion {
		f.Region, f.Partition = p.region, PartitionOf(p.region)
	}
	if p.hasARN {
		f.Partition = p.partition
	}
	if p.hasAccount {
		f.Account = p.account
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
	case f.Partition != PartitionOf(f.Region):
		return fmt.Errorf("partition %q does not hold region %q (its partition is %s)", f.Partition, f.Region, PartitionOf(f.Region))
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

// PartitionOf returns the partition a region belongs to: eusc-de-east-1
// is aws-eusc, cn-north-1 aws-cn, us-gov-west-1 aws-us-gov, us-iso-east-1
// aws-iso, us-isob-east-1 aws-iso-b, eu-isoe-west-1 aws-iso-e.
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.Count(region, "-") != 3: // the gov and iso forms have one more part
	case len(region) > 7 && region[2:7] == "-gov-":
		return "aws-us-gov"
	case len(region) > 7 && region[2:6] == "-iso":
		if region[6] == '-' {
			return "aws-iso"
		}
		return "aws-iso-" + region[6:7]
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
