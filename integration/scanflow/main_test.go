// Package scanflow runs the scan workflow end to end on the local stack:
// CloudTrail-shaped events through the EventBridge rule, the real ASL on
// moto's Step Functions engine, the real step handlers behind Lambda Invoke,
// and checks what landed in S3, DynamoDB, Lambda tags, SNS/SQS and CloudWatch.
package scanflow

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdascan/lambdascan/integration/localstack"
)

var env *localstack.Env

const testdata = "../../testdata"

// osvSource prefers the real data in ../shared/osv (served over loopback
// HTTP as the public OSV bucket would be); a fresh clone uses testdata/osv.
func osvSource() string {
	if d := os.Getenv("LAMBDASCAN_SHARED"); d != "" {
		return filepath.Join(d, "osv")
	}
	if _, err := os.Stat("../../../shared/osv"); err == nil {
		return "../../../shared/osv"
	}
	return filepath.Join(testdata, "osv")
}

func TestMain(m *testing.M) {
	ctx := context.Background()
	stack, err := localstack.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "local stack:", err)
		os.Exit(1)
	}
	export, ecos, err := localstack.ExportDir(osvSource())
	if err != nil {
		stack.Stop()
		fmt.Fprintln(os.Stderr, "OSV export:", err)
		os.Exit(1)
	}
	env, err = localstack.Deploy(ctx, stack, localstack.Options{OSVDir: export, Ecosystems: ecos})
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploy:", err, "\n", stack.Logs())
		stack.Stop()
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	stack.Stop()
	os.RemoveAll(export)
	os.Exit(code)
}
