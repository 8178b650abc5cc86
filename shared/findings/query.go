package findings

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Query is what `lambdascan affected` asks: an advisory (id or alias), or a
// package with an optional version or range.
type Query struct {
	Advisory  string
	Layer     string // a layer version ARN: the functions sharing it and its findings
	Ecosystem string // optional: narrows a package query
	Name      string
	// Version constraints, all of which must hold: "=1.2.3", "<2.0.0",
	// ">=1.0". Empty: any version.
	Constraints []Constraint
}

// Constraint is one comparison with a version.
type Constraint struct {
	Op      string // = != < <= > >=
	Version string
}

var advisoryID = regexp.MustCompile(`^[A-Z][A-Z0-9]*-[A-Za-z0-9._:-]*[0-9][A-Za-z0-9._:-]*$`)

var purlTypes = map[string]string{"npm": "npm", "pypi": "PyPI", "golang": "Go", "maven": "Maven", "gem": "RubyGems",
	"nuget": "NuGet", "cargo": "crates.io", "composer": "Packagist"}

// ParseQuery reads CVE-…, GHSA-…, GO-…, PYSEC-… (any upper-case id), a
// purl, or name[@version|@<range>] where a range is comma-separated
// comparisons (lodash@<4.17.21, log4j-core@>=2.0,<2.17.1).
func ParseQuery(arg string) (Query, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return Query{}, fmt.Errorf("empty query: give an advisory id or a package")
	}
	if advisoryID.MatchString(arg) && !strings.Contains(arg, "@") {
		return Query{Advisory: arg}, nil
	}
	if strings.HasPrefix(arg, "arn:") {
		if !strings.Contains(arg, ":layer:") {
			return Query{}, fmt.Errorf("%q: an ARN query names a layer version (arn:…:layer:name:version)", arg)
		}
		return Query{Layer: arg}, nil
	}
	var q Query
	if rest, ok := strings.CutPrefix(arg, "pkg:"); ok {
		typ, nv, ok := strings.Cut(rest, "/")
		if !ok {
			return Query{}, fmt.Errorf("purl %q: no name", arg)
		}
		q.Ecosystem = purlTypes[strings.ToLower(typ)]
		if q.Ecosystem == "" {
			return Query{}, fmt.Errorf("purl %q: type %s is not one lambdascan reads", arg, typ)
		}
		nv, _, _ = strings.Cut(nv, "?")
		if q.Ecosystem == "Maven" {
			nv = strings.Replace(nv, "/", ":", 1)
		}
		arg = nv
	}
	// A scoped npm name starts with @: the version's @ is the last one after it.
	at := strings.LastIndex(arg, "@")
	if at <= 0 {
		q.Name = arg
		return q, nil
	}
	q.Name, arg = arg[:at], arg[at+1:]
	for _, part := range strings.Split(arg, ",") {
		part = strings.TrimSpace(part)
		op := ""
		for _, o := range []string{"<=", ">=", "!=", "==", "<", ">", "="} {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		v := strings.TrimSpace(part[len(op):])
		if v == "" {
			return Query{}, fmt.Errorf("version constraint %q has no version", part)
		}
		switch op {
		case "", "==":
			op = "="
		}
		q.Constraints = append(q.Constraints, Constraint{Op: op, Version: v})
	}
	return q, nil
}

// Comparator compares an installed version of an ecosystem's package with
// another: <0, 0, >0. The CLI passes osv-scalibr's semantic comparison
// (fleetcli.CompareVersions); this package links none, so the store step
// and the CDK app, which never answer range queries, link no scanner code.
type Comparator func(eco, installed, other string) (int, error)

// Matches reports whether an installed version meets every constraint,
// compared the ecosystem's way; a version that does not parse (or no
// comparator) meets only an exact "=".
func (q Query) Matches(eco, version string, cmp Comparator) bool {
	if q.Ecosystem != "" && q.Ecosystem != eco {
		return false
	}
	for _, c := range q.Constraints {
		n, err := 0, error(nil)
		if cmp == nil {
			err = fmt.Errorf("no comparator")
		} else {
			n, err = cmp(eco, version, c.Version)
		}
		if err != nil {
			if c.Op != "=" || c.Version != version {
				return false
			}
			continue
		}
		ok := map[string]bool{"=": n == 0, "!=": n != 0, "<": n < 0, "<=": n <= 0, ">": n > 0, ">=": n >= 0}[c.Op]
		if !ok {
			return false
		}
	}
	return true
}

// Affected answers the query in one DynamoDB query (paged): for an
// advisory, its findings under any id; for a package, each function
// version holding it, with its findings on it.
func (t *Table) Affected(ctx context.Context, q Query) ([]Row, error) {
	if len(q.Constraints) > 0 && t.Compare == nil {
		return nil, fmt.Errorf("findings: a version range query needs a version comparator")
	}
	var rows []Row
	seen := map[string]bool{}
	add := func(it item) bool {
		r := rowOf(it)
		key := fnv(r.Function) + "|" + r.Package.key()
		if r.Finding != nil {
			key += "|" + r.Finding.Advisory
		}
		if !seen[key] {
			seen[key] = true
			rows = append(rows, r)
		}
		return true
	}
	if q.Layer != "" {
		err := t.query(ctx, &dynamodb.QueryInput{TableName: &t.Name, IndexName: aws.String(IndexByLayer),
			KeyConditionExpression: aws.String("lyr = :l"), ExpressionAttributeValues: item{":l": s(q.Layer)}}, add)
		sortRows(rows)
		return rows, err
	}
	if q.Advisory != "" {
		err := t.query(ctx, &dynamodb.QueryInput{TableName: &t.Name, IndexName: aws.String(IndexByAdvisory),
			KeyConditionExpression: aws.String("adv = :a"), ExpressionAttributeValues: item{":a": s(q.Advisory)}}, add)
		sortRows(rows)
		return rows, err
	}
	names := []string{strings.ToLower(q.Name)}
	if q.Ecosystem == "" || q.Ecosystem == "PyPI" {
		if n := pep503(names[0]); n != names[0] {
			names = append(names, n)
		}
	}
	for _, n := range names {
		err := t.query(ctx, &dynamodb.QueryInput{TableName: &t.Name, IndexName: aws.String(IndexByPackage),
			KeyConditionExpression: aws.String("pkg = :p"), ExpressionAttributeValues: item{":p": s(n)}}, func(it item) bool {
			if q.Matches(getS(it, "eco"), getS(it, "pv"), t.Compare) {
				add(it)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	sortRows(rows)
	return rows, nil
}

// Filter narrows `lambdascan findings`.
type Filter struct {
	FunctionARN string   // one function (every version)
	Function    string   // or a function name, in any account and region
	Severities  []string // levels; empty: all
	KEV         bool     // only findings in CISA's KEV catalog
}

// Findings lists open findings, one row per function version × advisory ×
// package.
func (t *Table) Findings(ctx context.Context, f Filter) ([]Row, error) {
	levels := f.Severities
	if len(levels) == 0 {
		levels = Levels
	}
	var rows []Row
	keep := func(it item) bool {
		if !isCanonical(it) {
			return true
		}
		r := rowOf(it)
		if !slices.Contains(levels, r.Finding.Severity) || (f.KEV && !r.Finding.KEV) || (f.Function != "" && r.Function.Name != f.Function) {
			return true
		}
		rows = append(rows, r)
		return true
	}
	if f.FunctionARN != "" {
		if err := t.query(ctx, t.functionQuery(f.FunctionARN, ""), keep); err != nil {
			return nil, err
		}
		sortRows(rows)
		return rows, nil
	}
	for _, l := range levels {
		in := &dynamodb.QueryInput{TableName: &t.Name, IndexName: aws.String(IndexBySeverity),
			KeyConditionExpression: aws.String("sev = :s"), ExpressionAttributeValues: item{":s": s(l)}}
		var filters []string
		if f.KEV {
			filters = append(filters, "kev = :k")
			in.ExpressionAttributeValues[":k"] = &types.AttributeValueMemberBOOL{Value: true}
		}
		if f.Function != "" {
			filters = append(filters, "fn = :f")
			in.ExpressionAttributeValues[":f"] = s(f.Function)
		}
		if len(filters) > 0 {
			in.FilterExpression = aws.String(strings.Join(filters, " AND "))
		}
		if err := t.query(ctx, in, keep); err != nil {
			return nil, err
		}
	}
	sortRows(rows)
	return rows, nil
}

func sortRows(rows []Row) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra > rb
		}
		if fnKey(a) != fnKey(b) {
			return fnKey(a) < fnKey(b)
		}
		return a.Package.key() < b.Package.key()
	})
}

func rank(r Row) int {
	if r.Finding == nil {
		return -1
	}
	return len(Levels) - slices.Index(Levels, r.Finding.Severity)
}

func fnKey(r Row) string {
	return r.Function.Account + "|" + r.Function.Region + "|" + r.Function.Name + "|" + r.Function.Version
}
