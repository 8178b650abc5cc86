package scancli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lambdascan/lambdascan/shared/report"
	"github.com/lambdascan/lambdascan/shared/scancli"
)

func TestKindOf(t *testing.T) {
	for target, want := range map[string]report.Kind{
		"arn:aws:lambda:eu-west-1:123456789012:function:f":          scancli.KindFunction,
		"arn:aws:lambda:eu-west-1:123456789012:layer:l:3":           scancli.KindLayer,
		"arn:aws:lambda:eu-west-1:123456789012:function:layer:PROD": scancli.KindFunction,
		"public.ecr.aws/lambda/python:3.12":                         scancli.KindImage,
		"localhost:5000/app":                                        scancli.KindImage,
		"python:3.12":                                               scancli.KindImage,
		"app@sha256:" + strings.Repeat("a", 64):                     scancli.KindImage,
		"nope.zip":                                                  scancli.KindZip,
		"dir/missing":                                               scancli.KindZip,
		filepath.Join("../../testdata", "packages", "node-api.zip"): scancli.KindZip,
		filepath.Join("../../testdata", "packages", "src"):          scancli.KindDirectory,
	} {
		assert.Equal(t, want, scancli.KindOf(target), target)
	}
}

func TestRemote(t *testing.T) {
	zip := filepath.Join("../../testdata", "packages", "node-api.zip")
	assert.False(t, scancli.Remote(scancli.Request{Target: zip, Layers: []string{zip}}))
	assert.True(t, scancli.Remote(scancli.Request{Target: "python:3.12"}))
	assert.True(t, scancli.Remote(scancli.Request{Target: zip, Layers: []string{"arn:aws:lambda:eu-west-1:123456789012:layer:l:3"}}))
	assert.True(t, scancli.Remote(scancli.Request{Target: "arn:aws:lambda:eu-west-1:123456789012:function:f"}))
}
