package scanflow

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/integration/localstack"
)

// A small bulk run (one region holding two functions): the Distributed
// Map's children write their results through the ResultWriter, so the run's
// output carries only where they are, never the child outputs.
func TestBulkRunWritesResultsToS3(t *testing.T) {
	ctx := context.Background()
	const region = "ap-south-1"
	cfg := env.AWS.Config.Copy()
	cfg.Region = region
	south := &localstack.Env{Stack: env.Stack, AWS: localstack.NewClients(cfg, env.Stack.Endpoint), Account: localstack.Account}
	for _, name := range []string{"south-a", "south-b"} {
		_, err := south.CreateFunction(ctx, name, pkg("python-requirements.zip"), "python3.12", nil, nil)
		require.NoError(t, err)
	}
	env.Stack.ResetControlPlane()
	out, err := env.AWS.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(env.BulkStateMachineARN),
		Name: aws.String("results-to-s3"), Input: aws.String(`{"regions":["` + region + `"]}`)})
	require.NoError(t, err)
	d, err := env.Wait(ctx, aws.ToString(out.ExecutionArn), 5*time.Minute)
	require.NoError(t, err)
	if d.Status != sfntypes.ExecutionStatusSucceeded {
		h, _ := env.AWS.SFN.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn})
		for _, ev := range h.Events {
			b, _ := json.Marshal(ev)
			var m map[string]any
			json.Unmarshal(b, &m)
			for k, v := range m {
				if v == nil {
					delete(m, k)
				}
			}
			b, _ = json.Marshal(m)
			t.Logf("%s", b)
		}
	}
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, d.Status, "%s %s", aws.ToString(d.Error), aws.ToString(d.Cause))
	// The children come from a running bulk execution: their claims hold.
	assert.Zero(t, env.Stack.LambdaCalls("GetFunctionConfiguration"), "the items' code identity is trusted")
	assert.Zero(t, env.Stack.LambdaCalls("ListTags"), "the items are self-checked")
	var o struct {
		Summary struct {
			Counts map[string]int `json:"counts"`
		} `json:"summary"`
	}
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(d.Output)), &o))
	assert.NotContains(t, aws.ToString(d.Output), "south-a/", "no child output in the run's payload")

	list, err := env.AWS.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(localstack.Bucket), Prefix: aws.String("bulk/results/")})
	require.NoError(t, err)
	var manifests []string
	for _, obj := range list.Contents {
		if strings.HasSuffix(aws.ToString(obj.Key), "/manifest.json") {
			manifests = append(manifests, aws.ToString(obj.Key))
		}
	}
	require.Len(t, manifests, 1, "the ResultWriter's manifest of the one map run")
	var manifest struct {
		DestinationBucket string `json:"DestinationBucket"`
		MapRunArn         string `json:"MapRunArn"`
	}
	getJSON(t, manifests[0], &manifest)
	assert.Equal(t, localstack.Bucket, manifest.DestinationBucket)
	assert.Contains(t, manifest.MapRunArn, ":mapRun:")
	t.Logf("bulk run output %d bytes; manifest %s; summary %v", len(aws.ToString(d.Output)), manifests[0], o.Summary.Counts)
}
