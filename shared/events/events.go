// Package events turns what starts a scan (an EventBridge "AWS API Call via
// CloudTrail" event for a Lambda API call, or a direct {"functionArn": ...}
// from the console, a replay or a bulk Map item) into a scan target.
package events

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/lambdascan/lambdascan/shared/arn"
	"github.com/lambdascan/lambdascan/shared/contract"
)

// The CloudTrail event names that change what a function runs, and its
// deletion (recorded, not scanned). Our own TagResource calls must never
// start a scan (they would loop).
var scanEvents = map[string]bool{
	"CreateFunction20150331":                true,
	"UpdateFunctionCode20150331v2":          true,
	"UpdateFunctionConfiguration20150331v2": true,
	DeleteFunctionEvent:                     true,
}

// DeleteFunctionEvent is a function's deletion: the target is marked
// Deleted and the state machine records it instead of scanning.
const DeleteFunctionEvent = "DeleteFunction20150331"

// ScanEventNames lists them, for the EventBridge rule.
func ScanEventNames() []string {
	return []string{"CreateFunction20150331", "UpdateFunctionCode20150331v2", "UpdateFunctionConfiguration20150331v2", DeleteFunctionEvent}
}

type cloudTrailEvent struct {
	DetailType string `json:"detail-type"`
	Source     string `json:"source"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	Detail     *struct {
		EventSource        string          `json:"eventSource"`
		EventName          string          `json:"eventName"`
		EventID            string          `json:"eventID"`
		AWSRegion          string          `json:"awsRegion"`
		RecipientAccountID string          `json:"recipientAccountId"`
		ErrorCode          string          `json:"errorCode"`
		ErrorMessage       string          `json:"errorMessage"`
		RequestParameters  json.RawMessage `json:"requestParameters"`
		ResponseElements   json.RawMessage `json:"responseElements"`
	} `json:"detail"`
}

type directInput struct {
	FunctionARN  string `json:"functionArn"`
	FunctionArn2 string `json:"FunctionArn"` // ListFunctions' item shape
	Force        bool   `json:"force"`
	SelfChecked  bool   `json:"selfChecked"`
	// Code and TagMode: a bulk item's ListFunctions facts and tag policy.
	Code    *contract.Code `json:"code"`
	TagMode string         `json:"tagMode"`
}

// Defaults are the scanner's own partition, region and account, used for a
// bare function name in a direct input.
type Defaults = arn.Function

// Parse reads one input. Anything that is not a scan request is a
// *contract.InvalidEvent.
func Parse(raw []byte, defaults Defaults) (contract.Target, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return contract.Target{}, invalid("not a JSON object: %v", err)
	}
	if _, ok := probe["detail"]; ok {
		return parseCloudTrail(raw)
	}
	if _, ok := probe["detail-type"]; ok {
		return parseCloudTrail(raw)
	}
	var in directInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return contract.Target{}, invalid("direct input: %v", err)
	}
	ref := in.FunctionARN
	if ref == "" {
		ref = in.FunctionArn2
	}
	if ref == "" {
		return contract.Target{}, invalid("no functionArn and not a CloudTrail event")
	}
	t, err := target(ref, defaults, contract.TriggerDirect, "", in.Force)
	if err != nil {
		return t, err
	}
	t.SelfChecked = in.SelfChecked
	switch in.TagMode {
	case "", contract.TagModeChanged, contract.TagModeNone:
		t.TagMode = in.TagMode
	default:
		return contract.Target{}, invalid("tagMode %q: %q, %q or absent", in.TagMode, contract.TagModeChanged, contract.TagModeNone)
	}
	if in.Code != nil {
		if err := validCode(in.Code); err != nil {
			return contract.Target{}, err
		}
		t.Listed = in.Code
	}
	return t, nil
}

// validCode checks a bulk item's code identity: it decides cache hits, so a
// malformed one must not pass as "unchanged".
func validCode(c *contract.Code) error {
	switch c.PackageType {
	case "Zip":
		if sum, err := base64.StdEncoding.DecodeString(c.CodeSha256); err != nil || len(sum) != sha256.Size {
			return invalid("code.codeSha256 %q is not a base64 SHA-256", c.CodeSha256)
		}
	case "Image":
		// Lambda gives an image's manifest digest in hex.
		if sum, err := hex.DecodeString(c.CodeSha256); err != nil || len(sum) != sha256.Size {
			return invalid("code.codeSha256 %q is not a hex SHA-256 (image digest)", c.CodeSha256)
		}
	default:
		return invalid("code.packageType %q: Zip or Image", c.PackageType)
	}
	if c.Layers == nil {
		c.Layers = []string{}
	}
	if !slices.IsSorted(c.Layers) {
		return invalid("code.layers must be sorted")
	}
	for _, l := range c.Layers {
		if _, err := arn.ParseLayer(l); err != nil {
			return invalid("code.layers: %v", err)
		}
	}
	return nil
}

func parseCloudTrail(raw []byte) (contract.Target, error) {
	var ev cloudTrailEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return contract.Target{}, invalid("CloudTrail event: %v", err)
	}
	d := ev.Detail
	switch {
	case ev.DetailType != "AWS API Call via CloudTrail":
		return contract.Target{}, invalid("detail-type %q", ev.DetailType)
	case ev.Source != "aws.lambda" || d == nil || d.EventSource != "lambda.amazonaws.com":
		return contract.Target{}, invalid("not a Lambda API call (source %q)", ev.Source)
	case d.ErrorCode != "":
		// A failed call changed nothing: responseElements is null.
		return contract.Target{}, invalid("%s failed with %s", d.EventName, d.ErrorCode)
	case !scanEvents[d.EventName]:
		return contract.Target{}, invalid("event %q does not change function code or configuration", d.EventName)
	}
	region := firstNonEmpty(d.AWSRegion, ev.Region)
	account := firstNonEmpty(d.RecipientAccountID, ev.Account)
	defaults := arn.Function{Partition: arn.PartitionOf(region), Region: region, Account: account}

	var resp struct {
		FunctionArn string `json:"functionArn"`
	}
	if len(d.ResponseElements) > 0 && string(d.ResponseElements) != "null" {
		if err := json.Unmarshal(d.ResponseElements, &resp); err != nil {
			return contract.Target{}, invalid("responseElements: %v", err)
		}
	}
	ref := resp.FunctionArn
	if ref == "" {
		var req struct {
			FunctionName string `json:"functionName"`
		}
		if len(d.RequestParameters) > 0 && string(d.RequestParameters) != "null" {
			if err := json.Unmarshal(d.RequestParameters, &req); err != nil {
				return contract.Target{}, invalid("requestParameters: %v", err)
			}
		}
		ref = req.FunctionName
	}
	if ref == "" {
		return contract.Target{}, invalid("%s names no function", d.EventName)
	}
	t, err := target(ref, defaults, d.EventName, d.EventID, false)
	t.Deleted = err == nil && d.EventName == DeleteFunctionEvent
	return t, err
}

func target(ref string, defaults arn.Function, trigger, eventID string, force bool) (contract.Target, error) {
	f, err := arn.Parse(strings.TrimSpace(ref), defaults)
	if err != nil {
		return contract.Target{}, &contract.InvalidEvent{Reason: err.Error()}
	}
	return contract.Target{
		FunctionARN: f.ARN(), Qualifier: f.Qualifier, Partition: f.Partition, Region: f.Region,
		Account: f.Account, Name: f.Name, Trigger: trigger, EventID: eventID, Force: force,
	}, nil
}

func invalid(format string, a ...any) error {
	return &contract.InvalidEvent{Reason: fmt.Sprintf(format, a...)}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
