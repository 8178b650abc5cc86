package statemachine

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/bulk"
)

type state struct {
	Type    string `json:"Type"`
	Next    string `json:"Next"`
	End     bool   `json:"End"`
	Default string `json:"Default"`
	Choices []struct {
		Next string `json:"Next"`
	} `json:"Choices"`
	Retry []struct {
		ErrorEquals []string `json:"ErrorEquals"`
	} `json:"Retry"`
	Catch []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		Next        string   `json:"Next"`
	} `json:"Catch"`
}

func TestScanDefinition(t *testing.T) {
	var def struct {
		StartAt string           `json:"StartAt"`
		States  map[string]state `json:"States"`
	}
	require.NoError(t, json.Unmarshal(Scan, &def))
	require.Contains(t, def.States, def.StartAt)
	reachable := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		if reachable[n] {
			return
		}
		s, ok := def.States[n]
		require.True(t, ok, "transition to unknown state %q", n)
		reachable[n] = true
		for _, next := range []string{s.Next, s.Default} {
			if next != "" {
				walk(next)
			}
		}
		for _, c := range s.Choices {
			walk(c.Next)
		}
		for _, c := range s.Catch {
			walk(c.Next)
		}
	}
	walk(def.StartAt)
	for name, s := range def.States {
		assert.True(t, reachable[name], "state %s is unreachable", name)
		if s.Type != "Task" {
			continue
		}
		retried := map[string]bool{}
		for _, r := range s.Retry {
			for _, e := range r.ErrorEquals {
				retried[e] = true
			}
		}
		for _, e := range []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException", "Sandbox.Timedout", "TransientError"} {
			assert.True(t, retried[e], "%s does not retry %s", name, e)
		}
		caught := false
		for _, c := range s.Catch {
			for _, e := range c.ErrorEquals {
				caught = caught || e == "States.ALL"
			}
		}
		assert.True(t, caught, "%s has no catch-all: its failure would not be recorded", name)
	}
}

func TestSubstitute(t *testing.T) {
	names := Placeholders(Scan)
	assert.Equal(t, []string{"CacheCheckFunctionArn", "FetchFunctionArn", "MetricsFunctionArn", "NotifyFunctionArn", "ScanFunctionArn",
		"SelfSkipFunctionArn", "StoreFunctionArn", "TagFunctionArn", "ValidateFunctionArn"}, names)
	values := map[string]string{}
	for _, n := range names {
		values[n] = "arn:aws:lambda:eu-west-1:123456789012:function:" + n
	}
	out, err := Substitute(Scan, values)
	require.NoError(t, err)
	assert.NotContains(t, out, "${")
	delete(values, "ScanFunctionArn")
	_, err = Substitute(Scan, values)
	assert.ErrorContains(t, err, "ScanFunctionArn")
}

// The Map builds each child's input field by field: a field of bulk.Item
// it does not pass is silently lost (the child would then spend a control-
// plane call the item was meant to save).
func TestBulkMapPassesEveryItemField(t *testing.T) {
	var def struct {
		States map[string]struct {
			ItemProcessor struct {
				States map[string]struct {
					Parameters struct {
						Input map[string]string `json:"Input"`
					} `json:"Parameters"`
				} `json:"States"`
			} `json:"ItemProcessor"`
		} `json:"States"`
	}
	require.NoError(t, json.Unmarshal(Bulk, &def))
	var input map[string]string
	for _, s := range def.States {
		if one, ok := s.ItemProcessor.States["ScanOne"]; ok {
			input = one.Parameters.Input
		}
	}
	require.NotNil(t, input, "the Map's ScanOne state")
	b, err := json.Marshal(bulk.Item{})
	require.NoError(t, err)
	var fields map[string]any
	require.NoError(t, json.Unmarshal(b, &fields))
	for f := range fields {
		assert.Equal(t, "$."+f, input[f+".$"], "item field %q reaches the child", f)
	}
}

// The Distributed Map reads its items from S3 and writes its children's
// results to S3: no payload carries either (10,000 child outputs would be
// megabytes against the 256 KiB state limit).
func TestBulkMapUsesS3BothWays(t *testing.T) {
	var def struct {
		States map[string]struct {
			Type       string `json:"Type"`
			ItemReader struct {
				Resource string `json:"Resource"`
			} `json:"ItemReader"`
			ResultWriter struct {
				Resource   string            `json:"Resource"`
				Parameters map[string]string `json:"Parameters"`
			} `json:"ResultWriter"`
			ResultPath *string `json:"ResultPath"`
		} `json:"States"`
	}
	require.NoError(t, json.Unmarshal(Bulk, &def))
	maps := 0
	for name, s := range def.States {
		if s.Type != "Map" {
			continue
		}
		maps++
		assert.Equal(t, "arn:aws:states:::s3:getObject", s.ItemReader.Resource, name)
		assert.Equal(t, "arn:aws:states:::s3:putObject", s.ResultWriter.Resource, name)
		assert.Equal(t, "${ResultsBucketName}", s.ResultWriter.Parameters["Bucket"], name)
		assert.Equal(t, "bulk/results", s.ResultWriter.Parameters["Prefix"], name)
		assert.Nil(t, s.ResultPath, "%s: the writer's details are not kept either", name)
	}
	assert.Equal(t, 1, maps)
}
