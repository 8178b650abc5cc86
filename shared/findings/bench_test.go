package findings

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkAnswer10000 is the client's share of an answer naming 10,000
// function versions: reading 20,000 items (a package item and its finding
// each) back into rows and ordering them. DynamoDB's share is the pages.
func BenchmarkAnswer10000(b *testing.B) {
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	p := Package{Ecosystem: "npm", Name: "lodash", Version: "4.17.15", PURL: "pkg:npm/lodash@4.17.15"}
	f := Finding{Advisory: "GHSA-p6mc-m468-83gw", Aliases: []string{"CVE-2020-8203"}, Package: p, Fixed: "4.17.19", Severity: "high", Score: 7.4}
	var items []item
	for i := 0; i < 10000; i++ {
		fn := Function{ARN: fmt.Sprintf("arn:aws:lambda:us-east-1:123456789012:function:fn-%05d", i), Version: "$LATEST", Account: "123456789012", Region: "us-east-1", Name: fmt.Sprintf("fn-%05d", i)}
		items = append(items, rowItem(fn, p, nil, "", now), rowItem(fn, p, &f, f.Advisory, now))
	}
	b.ResetTimer()
	for b.Loop() {
		rows := make([]Row, 0, len(items))
		for _, it := range items {
			rows = append(rows, rowOf(it))
		}
		sortRows(rows)
	}
}
