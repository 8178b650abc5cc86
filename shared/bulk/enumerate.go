package bulk

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	rgttypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// ExcludeTag on a function keeps it out of bulk scans.
const ExcludeTag = "LambdaScanExclude"

// Request is the bulk workflow's input (contract.BulkRequest).
type Request = contract.BulkRequest

// Item is one function to scan: the scan state machine's direct input.
type Item = contract.BulkItem

// Clients gives the APIs for one account and region (the member role for
// other accounts).
type Clients interface {
	Lambda(ctx context.Context, account, region string) (*lambda.Client, error)
	Tagging(ctx context.Context, account, region string) (*resourcegroupstaggingapi.Client, error)
	Organizations(ctx context.Context) (*organizations.Client, error)
}

// Enumerator lists what a bulk run scans.
type Enumerator struct {
	Clients        Clients
	Limits         *Limiters
	SelfFunctions  []string // the scanner's own function names
	SelfTag        string   // the tag the stack puts on them
	Account        string   // the scanner's account
	DefaultRegions []string
}

// Stats count what enumeration saw.
type Stats = contract.BulkStats

// Enumerate lists the functions of every account and region of the request.
func (e *Enumerator) Enumerate(ctx context.Context, req Request) ([]Item, Stats, error) {
	st := Stats{Excluded: map[string]int{}, PerTarget: map[string]int{}}
	accounts := req.Accounts
	if req.Organization {
		orgAccounts, err := e.orgAccounts(ctx)
		if err != nil {
			return nil, st, err
		}
		accounts = append(accounts, orgAccounts...)
	}
	if len(accounts) == 0 {
		accounts = []string{e.Account}
	}
	regions := req.Regions
	if len(regions) == 0 {
		regions = e.DefaultRegions
	}
	slices.Sort(accounts)
	accounts = slices.Compact(accounts)
	st.Accounts, st.Regions = accounts, regions
	for _, g := range req.Exclude {
		if _, err := path.Match(g, ""); err != nil {
			return nil, st, fmt.Errorf("exclude pattern %q: %w", g, err)
		}
	}
	var items []Item
	for _, account := range accounts {
		for _, region := range regions {
			got, err := e.enumerateOne(ctx, account, region, req, &st)
			if err != nil {
				return nil, st, fmt.Errorf("%s/%s: %w", account, region, err)
			}
			items = append(items, got...)
			st.PerTarget[account+"/"+region] = len(got)
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].FunctionArn < items[j].FunctionArn })
	return items, st, nil
}

func (e *Enumerator) enumerateOne(ctx context.Context, account, region string, req Request, st *Stats) ([]Item, error) {
	excluded, err := e.taggedOut(ctx, account, region)
	if err != nil {
		return nil, err
	}
	lc, err := e.Clients.Lambda(ctx, account, region)
	if err != nil {
		return nil, err
	}
	in := &lambda.ListFunctionsInput{MaxItems: aws.Int32(50)}
	if req.AllVersions {
		in.FunctionVersion = lambdatypes.FunctionVersionAll
	}
	var items []Item
	for {
		if err := e.Limits.Wait(ctx, account, region); err != nil {
			return nil, err
		}
		out, err := lc.ListFunctions(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, f := range out.Functions {
			st.Listed++
			name := aws.ToString(f.FunctionName)
			fnARN := aws.ToString(f.FunctionArn)
			switch {
			// Only the scanner's account holds the scanner: a member account's
			// function with the scanner's name or tag is scanned like any other.
			case account == e.Account && (slices.Contains(e.SelfFunctions, name) || excluded[unqualified(fnARN)] == "self"):
				st.Excluded["self"]++
				continue
			case excluded[unqualified(fnARN)] == "tag":
				st.Excluded["tag"]++
				continue
			case matchesAny(req.Exclude, name):
				st.Excluded["glob"]++
				continue
			}
			mode := contract.TagModeChanged
			if req.NoTags {
				mode = contract.TagModeNone
			}
			items = append(items, Item{FunctionArn: fnARN, Force: req.Force, SelfChecked: true, Code: listedCode(f), TagMode: mode})
		}
		if aws.ToString(out.NextMarker) == "" {
			return items, nil
		}
		in.Marker = out.NextMarker
	}
}

// taggedOut finds excluded and self-tagged functions with one paginated
// tagging query instead of a ListTags call per function.
func (e *Enumerator) taggedOut(ctx context.Context, account, region string) (map[string]string, error) {
	tc, err := e.Clients.Tagging(ctx, account, region)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	filters := map[string]rgttypes.TagFilter{"tag": {Key: aws.String(ExcludeTag), Values: []string{"true"}}}
	if account == e.Account {
		filters["self"] = rgttypes.TagFilter{Key: aws.String(e.SelfTag)}
	}
	for reason, filter := range filters {
		if filter.Key == nil || *filter.Key == "" {
			continue
		}
		in := &resourcegroupstaggingapi.GetResourcesInput{ResourceTypeFilters: []string{"lambda:function"}, TagFilters: []rgttypes.TagFilter{filter}}
		for {
			res, err := tc.GetResources(ctx, in)
			if err != nil {
				return nil, err
			}
			for _, m := range res.ResourceTagMappingList {
				out[unqualified(aws.ToString(m.ResourceARN))] = reason
			}
			if aws.ToString(res.PaginationToken) == "" {
				break
			}
			in.PaginationToken = res.PaginationToken
		}
	}
	return out, nil
}

func (e *Enumerator) orgAccounts(ctx context.Context) ([]string, error) {
	oc, err := e.Clients.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	p := organizations.NewListAccountsPaginator(oc, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("organizations:ListAccounts (run from the management or delegated administrator account): %w", err)
		}
		for _, a := range page.Accounts {
			if a.Status == orgtypes.AccountStatusActive {
				out = append(out, aws.ToString(a.Id))
			}
		}
	}
	return out, nil
}

func unqualified(fnARN string) string {
	f, err := arn.Parse(fnARN, arn.Function{})
	if err != nil {
		return fnARN
	}
	return f.ARN()
}

func matchesAny(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// listedCode is the cache identity of a listed function.
func listedCode(f lambdatypes.FunctionConfiguration) *contract.Code {
	var layers []string
	for _, l := range f.Layers {
		layers = append(layers, aws.ToString(l.Arn))
	}
	c := contract.NewCode(aws.ToString(f.CodeSha256), string(f.Runtime), string(f.PackageType), layers)
	return &c
}
