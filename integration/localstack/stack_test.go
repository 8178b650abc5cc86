package localstack

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/require"
)

type boom struct{ msg string }

func (b *boom) Error() string { return b.msg }

func TestProbeStepFunctions(t *testing.T) {
	ctx := context.Background()
	s, err := Start(ctx)
	require.NoError(t, err)
	defer s.Stop()
	s.Register("echo", lambda.NewHandler(func(in map[string]any) (map[string]any, error) {
		in["seen"] = true
		return in, nil
	}))
	s.Register("fail", lambda.NewHandler(func(in map[string]any) (map[string]any, error) {
		return nil, &boom{"nope"}
	}))
	c := s.Clients()
	def := `{"StartAt":"Echo","States":{
	  "Echo":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"arn:aws:lambda:eu-west-1:123456789012:function:echo","Payload.$":"$"},"ResultSelector":{"r.$":"$.Payload"},"Next":"Fail"},
	  "Fail":{"Type":"Task","Resource":"arn:aws:lambda:eu-west-1:123456789012:function:fail","Catch":[{"ErrorEquals":["boom"],"ResultPath":"$.error","Next":"Done"}],"End":true},
	  "Done":{"Type":"Pass","End":true}}}`
	sm, err := c.SFN.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("probe"), Definition: aws.String(def), RoleArn: aws.String("arn:aws:iam::123456789012:role/sfn")})
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		ex, err := c.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("run" + string(rune('a'+i))), Input: aws.String(`{"x":1}`)})
		require.NoError(t, err, s.Logs())
		var out *sfn.DescribeExecutionOutput
		for j := 0; j < 100; j++ {
			out, err = c.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
			require.NoError(t, err)
			if out.Status != sfntypes.ExecutionStatusRunning {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		var o map[string]any
		json.Unmarshal([]byte(aws.ToString(out.Output)), &o)
		t.Logf("%s %v %s", out.Status, o, aws.ToString(out.Error))
		require.Equal(t, sfntypes.ExecutionStatusSucceeded, out.Status, s.Logs())
	}
}
