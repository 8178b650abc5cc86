package arn

import "testing"

func TestParseLayerTable(t *testing.T) {
	for s, ok := range map[string]bool{
		"arn:aws:lambda:eu-west-1:123456789012:layer:my-layer_1:3": true,
		"arn:aws-cn:lambda:cn-north-1:123456789012:layer:x:1":      true,
		"arn:aws:lambda:eu-west-1:123456789012:layer:x:0":          false,
		"arn:aws:lambda:eu-west-1:12345678901:layer:x:1":           false,
		"arn:aws:lambda:eu-west-1:123456789012:layer:x.y:1":        false,
		"arn:aws:lambda:eu-west-1:123456789012:function:x:1":       false,
		"arn:aws:lambda:eu-west-1:123456789012:layer:x":            false,
		"arn:aws:lambda:eu-west-1:123456789012:layer:x:1a":         false,
	} {
		_, err := ParseLayer(s)
		if (err == nil) != ok {
			t.Errorf("%s: %v", s, err)
		}
	}
}
