package findings

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
)

// itemSize is DynamoDB's item size: attribute names plus values (numbers
// about one byte per two digits plus one).
func itemSize(it item) int {
	n := 0
	for k, v := range it {
		n += len(k)
		switch x := v.(type) {
		case *types.AttributeValueMemberS:
			n += len(x.Value)
		case *types.AttributeValueMemberN:
			n += (len(x.Value)+1)/2 + 1
		case *types.AttributeValueMemberBOOL:
			n++
		case *types.AttributeValueMemberSS:
			for _, s := range x.Value {
				n += len(s)
			}
		}
	}
	return n
}

// A package item and a finding item each cost one write unit (≤ 1 KB) in
// the table and in each GSI they land in; the README's cost model uses
// these sizes.
func TestItemSizes(t *testing.T) {
	fn := Function{ARN: "arn:aws:lambda:us-east-1:123456789012:function:orders-api-production", Version: "$LATEST",
		Account: "123456789012", Region: "us-east-1", Name: "orders-api-production"}
	p := Package{Ecosystem: "npm", Name: "lodash", Version: "4.17.15", PURL: "pkg:npm/lodash@4.17.15"}
	f := Finding{Advisory: "GHSA-p6mc-m468-83gw", Aliases: []string{"CVE-2020-8203"}, Package: p, Fixed: "4.17.19", Severity: "high", Score: 7.4, KEV: true}
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	pkgItem, vulnItem := itemSize(rowItem(fn, p, nil, "", now)), itemSize(rowItem(fn, p, &f, f.Advisory, now))
	t.Logf("package item %d B, finding item %d B", pkgItem, vulnItem)
	assert.Less(t, pkgItem, 1024)
	assert.Less(t, vulnItem, 1024)
	layer := p
	layer.Layer = "arn:aws:lambda:us-east-1:123456789012:layer:shared-node-deps:42"
	assert.Less(t, itemSize(rowItem(fn, layer, &f, f.Advisory, now)), 1024, "a layer's finding too")
}
