package scanflow

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
	"github.com/lambdascan/lambdascan/internal/fleetcli"
	"github.com/lambdascan/lambdascan/shared/findings"
)

// BenchmarkAffectedFleet answers `lambdascan affected` on a store of
// LAMBDASCAN_BENCH_FUNCTIONS (default 1,000: moto answers a GSI query by
// reading every item, so its time grows with the table, unlike DynamoDB)
// synthetic function versions,
// every one shipping lodash 4.17.15 (the worst case: every function is in
// the answer) among 5 packages, written through Table.Put.
func BenchmarkAffectedFleet(b *testing.B) {
	ctx := context.Background()
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("LAMBDASCAN_BENCH_FUNCTIONS")); err == nil && v > 0 {
		n = v
	}
	tbl := &findings.Table{DDB: env.AWS.DynamoDB, Name: localstack.FindingsTable, Compare: fleetcli.CompareVersions}
	lodash := findings.Package{Ecosystem: "npm", Name: "lodash", Version: "4.17.15"}
	jobs := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				name := fmt.Sprintf("bench-%05d", i)
				snap := findings.Snapshot{Complete: true, CodeSha256: "c",
					Function: findings.Function{ARN: "arn:aws:lambda:eu-west-1:123456789012:function:" + name, Version: "$LATEST",
						Account: localstack.Account, Region: localstack.Region, Name: name},
					Packages: []findings.Package{lodash}}
				for p := 0; p < 4; p++ {
					snap.Packages = append(snap.Packages, findings.Package{Ecosystem: "npm", Name: fmt.Sprintf("dep-%d-%d", i%50, p), Version: "1.0.0"})
				}
				snap.Findings = []findings.Finding{{Advisory: "GHSA-bnch-0000-0000", Aliases: []string{"CVE-2099-0001"}, Package: lodash, Fixed: "4.17.19", Severity: "high"}}
				if _, err := tbl.Put(ctx, snap); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(b, err)
	}
	for _, q := range []string{"CVE-2099-0001", "lodash@<4.17.19"} {
		query, err := findings.ParseQuery(q)
		require.NoError(b, err)
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				rows, err := tbl.Affected(ctx, query)
				require.NoError(b, err)
				if len(rows) < n {
					b.Fatalf("%d rows, want at least %d", len(rows), n)
				}
			}
			b.ReportMetric(float64(n), "functions")
		})
	}
}
