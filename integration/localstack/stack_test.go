package localstack

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
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

// A Python without moto, with the wrong moto, or too old, fails the start
// at once with the command that fixes it, and leaves no temp dir behind.
func TestStartExplainsWhatIsMissing(t *testing.T) {
	fakeModule := func(body string) string {
		dir := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "moto"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "moto", "__init__.py"), []byte(body), 0o644))
		return dir
	}
	oldPython := filepath.Join(t.TempDir(), "python3.8")
	require.NoError(t, os.WriteFile(oldPython, []byte("#!/bin/sh\necho '3 8'\n"), 0o755))
	for _, tc := range []struct {
		name, python, pythonPath string
		want                     []string
	}{
		{"no moto", "", fakeModule(`raise ImportError("No module named 'moto'", name="moto")`), []string{"moto is not installed", `pip install "moto[server]>=5,<6"`}},
		{"moto 4", "", fakeModule(`__version__ = "4.2.14"`), []string{"moto 4.2.14 is installed", `pip install "moto[server]>=5,<6"`}},
		{"python too old", oldPython, "", []string{"is Python 3.8; moto 5 needs 3.9 or newer"}},
		{"no python", filepath.Join(t.TempDir(), "python3"), "", []string{"not found", `pip install "moto[server]>=5,<6"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			t.Setenv("LAMBDASCAN_PYTHON", tc.python)
			t.Setenv("PYTHONPATH", tc.pythonPath)
			s, err := Start(context.Background())
			require.Error(t, err)
			require.Nil(t, s)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			left, _ := filepath.Glob(filepath.Join(tmp, "lambdascan-moto-*"))
			assert.Empty(t, left, "a failed start removes its temp dir")
		})
	}
}

func TestStopRemovesTempDir(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s, err := Start(context.Background())
	require.NoError(t, err)
	left, _ := filepath.Glob(filepath.Join(tmp, "lambdascan-moto-*"))
	assert.Len(t, left, 1)
	s.Stop()
	left, _ = filepath.Glob(filepath.Join(tmp, "lambdascan-moto-*"))
	assert.Empty(t, left)
}

// A moto whose port was taken after it was probed is retried by Start.
func TestPortTakenIsRetryable(t *testing.T) {
	cmd := exec.Command("python3", "-c", `import sys; print("OSError: [Errno 98] Address already in use"); sys.exit(1)`)
	s := &Stack{logs: &lockedBuffer{}, motoPort: 4567}
	cmd.Stdout = s.logs
	s.exitErr = cmd.Run()
	err := s.exitError()
	assert.ErrorIs(t, err, errPortInUse)
	assert.Contains(t, err.Error(), "moto port 4567")
}
