package events_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/events"
)

var scanner = arn.Function{Partition: "aws", Region: "us-east-1", Account: "999999999999"}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name + ".json")
	require.NoError(t, err)
	return b
}

// edit applies changes to a fixture's detail.
func edit(t *testing.T, raw []byte, f func(ev map[string]any, detail map[string]any)) []byte {
	t.Helper()
	var ev map[string]any
	require.NoError(t, json.Unmarshal(raw, &ev))
	f(ev, ev["detail"].(map[string]any))
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return b
}

func TestCloudTrailEvents(t *testing.T) {
	const thumb = "arn:aws:lambda:eu-west-1:123456789012:function:thumbnailer"
	tests := []struct {
		name, fixture, wantARN, trigger string
	}{
		{"create", "create-function", thumb, "CreateFunction20150331"},
		{"update code (published version 7)", "update-function-code", thumb, "UpdateFunctionCode20150331v2"},
		{"layer change", "update-function-configuration-layers", thumb, "UpdateFunctionConfiguration20150331v2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := events.Parse(fixture(t, tc.fixture), scanner)
			require.NoError(t, err)
			assert.Equal(t, tc.wantARN, got.FunctionARN)
			assert.Equal(t, tc.trigger, got.Trigger)
			assert.Equal(t, "eu-west-1", got.Region, "the event's region, not the scanner's")
			assert.NotEmpty(t, got.EventID)
		})
	}
}

func TestFunctionNameFromRequestWhenNoResponseArn(t *testing.T) {
	for ref, want := range map[string]string{
		"thumbnailer":                                      "arn:aws:lambda:eu-west-1:123456789012:function:thumbnailer",
		"210987654321:function:other:prod":                 "arn:aws:lambda:eu-west-1:210987654321:function:other",
		"arn:aws:lambda:eu-west-1:123456789012:function:x": "arn:aws:lambda:eu-west-1:123456789012:function:x",
	} {
		raw := edit(t, fixture(t, "create-function"), func(_, d map[string]any) {
			delete(d["responseElements"].(map[string]any), "functionArn")
			d["requestParameters"].(map[string]any)["functionName"] = ref
		})
		got, err := events.Parse(raw, scanner)
		require.NoError(t, err, ref)
		assert.Equal(t, want, got.FunctionARN, ref)
	}
}

func TestInvalidEvents(t *testing.T) {
	tests := map[string][]byte{
		"failed call":     fixture(t, "create-function-failed"),
		"not json":        []byte("{"),
		"array":           []byte("[1]"),
		"empty object":    []byte("{}"),
		"our own tagging": edit(t, fixture(t, "create-function"), func(_, d map[string]any) { d["eventName"] = "TagResource20170331v2" }),
		"other service":   edit(t, fixture(t, "create-function"), func(ev, d map[string]any) { ev["source"] = "aws.s3"; d["eventSource"] = "s3.amazonaws.com" }),
		"no function":     edit(t, fixture(t, "create-function"), func(_, d map[string]any) { d["responseElements"] = nil; d["requestParameters"] = nil }),
		"odd name": edit(t, fixture(t, "create-function"), func(_, d map[string]any) {
			d["responseElements"] = nil
			d["requestParameters"] = map[string]any{"functionName": "../etc"}
		}),
		"odd direct":     []byte(`{"functionArn":"arn:aws:lambda:eu-west-1:123456789012:layer:x:1"}`),
		"wrong type":     []byte(`{"functionArn":42}`),
		"odd tag mode":   []byte(`{"functionArn":"f","tagMode":"never"}`),
		"code not a sha": []byte(`{"functionArn":"f","code":{"codeSha256":"abc","packageType":"Zip","layers":[]}}`),
		"code no type":   []byte(`{"functionArn":"f","code":{"codeSha256":"` + sha + `","layers":[]}}`),
		"layers unsorted": []byte(`{"functionArn":"f","code":{"codeSha256":"` + sha + `","packageType":"Zip","layers":[` +
			`"arn:aws:lambda:us-east-1:999999999999:layer:b:1","arn:aws:lambda:us-east-1:999999999999:layer:a:1"]}}`),
		"layer not a layer": []byte(`{"functionArn":"f","code":{"codeSha256":"` + sha + `","packageType":"Zip","layers":["arn:aws:lambda:us-east-1:999999999999:function:a"]}}`),
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := events.Parse(raw, scanner)
			var inv *contract.InvalidEvent
			require.True(t, errors.As(err, &inv), "got %v", err)
		})
	}
}

func TestDirectInputs(t *testing.T) {
	got, err := events.Parse([]byte(`{"functionArn":"billing","force":true}`), scanner)
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:lambda:us-east-1:999999999999:function:billing", got.FunctionARN)
	assert.True(t, got.Force)
	assert.Equal(t, contract.TriggerDirect, got.Trigger)

	got, err = events.Parse([]byte(`{"FunctionArn":"arn:aws:lambda:eu-west-1:123456789012:function:f:$LATEST","FunctionName":"f"}`), scanner)
	require.NoError(t, err)
	assert.Equal(t, "$LATEST", got.Qualifier)
}

// A bulk item carries ListFunctions' code identity and the tag policy.
func TestBulkItem(t *testing.T) {
	raw := `{"functionArn":"arn:aws:lambda:eu-west-1:123456789012:function:f","selfChecked":true,"force":false,"tagMode":"changed",` +
		`"code":{"codeSha256":"` + sha + `","runtime":"python3.12","packageType":"Zip","layers":["arn:aws:lambda:eu-west-1:123456789012:layer:l:3"]}}`
	got, err := events.Parse([]byte(raw), scanner)
	require.NoError(t, err)
	assert.True(t, got.SelfChecked)
	assert.Equal(t, contract.TagModeChanged, got.TagMode)
	require.NotNil(t, got.Listed)
	assert.Equal(t, contract.NewCode(sha, "python3.12", "Zip", []string{"arn:aws:lambda:eu-west-1:123456789012:layer:l:3"}), *got.Listed)

	// An image's CodeSha256 is its manifest digest in hex (as Lambda returns it).
	const digest = "6c582a21e03d1c9f04bd6ce59a0fdd1237e7e0ec0a4357cdc6de1a6ddc03502c"
	got, err = events.Parse([]byte(`{"functionArn":"f","code":{"codeSha256":"`+digest+`","packageType":"Image"}}`), scanner)
	require.NoError(t, err)
	assert.Equal(t, []string{}, got.Listed.Layers, "absent layers compare equal to none")
	_, err = events.Parse([]byte(`{"functionArn":"f","code":{"codeSha256":"`+sha+`","packageType":"Image"}}`), scanner)
	assert.Error(t, err, "base64 is a zip's form")

	got, err = events.Parse([]byte(`{"functionArn":"f","tagMode":"none"}`), scanner)
	require.NoError(t, err)
	assert.Equal(t, contract.TagModeNone, got.TagMode)
}

// sha is a base64 SHA-256 as Lambda reports CodeSha256.
const sha = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

func FuzzParse(f *testing.F) {
	for _, n := range []string{"create-function", "create-function-failed", "update-function-code", "update-function-configuration-layers"} {
		b, err := os.ReadFile("testdata/" + n + ".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"functionArn":"x"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := events.Parse(raw, scanner)
		if err != nil {
			var inv *contract.InvalidEvent
			if !errors.As(err, &inv) {
				t.Fatalf("unnamed error %T: %v", err, err)
			}
			return
		}
		if _, err := arn.Parse(got.FunctionARN, arn.Function{}); err != nil {
			t.Fatalf("target %q does not parse: %v", got.FunctionARN, err)
		}
	})
}

// DeleteFunction names the function in requestParameters only; the target
// is marked deleted (recorded, not scanned).
func TestDeleteFunctionEvent(t *testing.T) {
	b, err := os.ReadFile("testdata/delete-function.json")
	require.NoError(t, err)
	got, err := events.Parse(b, events.Defaults{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:lambda:eu-west-1:123456789012:function:thumbnailer", got.FunctionARN)
	assert.True(t, got.Deleted)
	assert.Equal(t, "DeleteFunction20150331", got.Trigger)
	assert.Contains(t, events.ScanEventNames(), "DeleteFunction20150331", "the rule matches it")

	create, err := os.ReadFile("testdata/create-function.json")
	require.NoError(t, err)
	got, err = events.Parse(create, events.Defaults{})
	require.NoError(t, err)
	assert.False(t, got.Deleted)
}
