// Package notify is the scan workflow's Notify step: an SNS message when
// findings reach the configured severity, or the scan failed.
package notify

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

// Notification is the SNS message body.
type Notification struct {
	FunctionARN string         `json:"functionArn"`
	Status      string         `json:"status"`
	MaxSeverity string         `json:"maxSeverity,omitempty"`
	Findings    int            `json:"findings"`
	BySeverity  map[string]int `json:"bySeverity,omitempty"`
	ReportKey   string         `json:"reportKey,omitempty"`
	Error       string         `json:"error,omitempty"`
	Trigger     string         `json:"trigger"`
}

// SNSAPI is the SNS call this step makes.
type SNSAPI interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Handler publishes notifications.
type Handler struct {
	TopicARN string
	Severity string // notify on findings at or above this level
	SNS      SNSAPI
}

// New is the step's handler for the stack configured by cfg.
func New(cfg config.Config, env awsclient.Env) *Handler {
	return &Handler{TopicARN: cfg.TopicARN, Severity: cfg.NotifySeverity,
		SNS: sns.NewFromConfig(env.Config, func(o *sns.Options) { o.BaseEndpoint = env.Base() })}
}

// Handle publishes a summary when findings reach the configured severity,
// or the scan failed. The message attributes let subscribers filter.
func (h *Handler) Handle(ctx context.Context, in contract.RecordInput) (contract.Notified, error) {
	if h.TopicARN == "" {
		return contract.Notified{Reason: "no topic configured"}, nil
	}
	n := Notification{FunctionARN: in.Target.FunctionARN, Trigger: in.Target.Trigger, Status: "failed"}
	if in.Stored != nil {
		n.ReportKey = in.Stored.ReportKey
	}
	failed := in.Error != nil
	if failed {
		n.Error = in.Error.Error
	} else if in.Summary != nil {
		n.Status, n.MaxSeverity, n.Findings, n.BySeverity = in.Summary.Status, in.Summary.MaxSeverity, in.Summary.Findings, in.Summary.BySeverity
		if schema.Rank(n.MaxSeverity) < schema.Rank(h.Severity) || n.Findings == 0 {
			return contract.Notified{Reason: "below the notify severity"}, nil
		}
	}
	body, _ := json.Marshal(n)
	maxSev := n.MaxSeverity
	if maxSev == "" {
		maxSev = "none"
	}
	attr := func(v string) snstypes.MessageAttributeValue {
		return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	out, err := h.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: &h.TopicARN,
		Subject:  aws.String("lambdascan: " + n.Status + " " + in.Target.Name),
		Message:  aws.String(string(body)),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"maxSeverity": attr(maxSev), "account": attr(in.Target.Account), "region": attr(in.Target.Region),
			"functionName": attr(in.Target.Name), "status": attr(n.Status),
		},
	})
	if err != nil {
		return contract.Notified{}, awsclient.Classify("Publish", err)
	}
	return contract.Notified{Published: true, MessageID: aws.ToString(out.MessageId)}, nil
}
