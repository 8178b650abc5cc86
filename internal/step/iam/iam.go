// Package iam lists, beside the step handlers, the AWS actions each step's
// code calls (KMS, DynamoDB, S3, Lambda, STS and the rest): the CDK
// template test fails when a step's role lacks one, so a new call cannot
// ship without its permission (the local emulator enforces no IAM).
package iam

import "github.com/lambdascan/lambdascan/shared/contract"

// The customer-managed key encrypts the table, the bucket, the topics and
// the queues: every reader or writer of them uses it.
var kms = []string{"kms:Decrypt", "kms:GenerateDataKey"}

// pace is the control-plane token bucket, an item of the CMK-encrypted table.
var pace = append([]string{"dynamodb:GetItem", "dynamodb:PutItem"}, kms...)

// Actions are the calls of each step, by step name. HeadObject is
// s3:GetObject; a conditional PutItem or PutObject is the plain action.
var Actions = map[string][]string{
	contract.StepValidate:   {"states:DescribeExecution"},
	contract.StepSelfSkip:   append([]string{"lambda:ListTags"}, pace...),
	contract.StepCacheCheck: append([]string{"lambda:GetFunctionConfiguration", "s3:GetObject"}, pace...),
	contract.StepFetch: append([]string{"lambda:GetFunction", "lambda:GetLayerVersion", "ecr:GetAuthorizationToken", "ecr:BatchGetImage",
		"ecr:GetDownloadUrlForLayer", "s3:GetObject", "s3:PutObject"}, pace...),
	contract.StepScan: append([]string{"s3:GetObject", "s3:PutObject"}, kms...),
	contract.StepStore: append([]string{"s3:GetObject", "s3:PutObject", "dynamodb:PutItem",
		"dynamodb:Query", "dynamodb:BatchWriteItem", "events:PutEvents"}, kms...), // findings store diff, findings events
	contract.StepTag:        append([]string{"lambda:TagResource"}, pace...),
	contract.StepMetrics:    {"cloudwatch:PutMetricData"},
	contract.StepNotify:     append([]string{"sns:Publish"}, kms...),
	contract.StepMirror:     append([]string{"s3:GetObject", "s3:PutObject", "cloudwatch:PutMetricData"}, kms...),
	contract.StepBulkList:   append([]string{"lambda:ListFunctions", "tag:GetResources", "organizations:ListAccounts", "s3:PutObject"}, pace...),
	contract.StepBulkReport: append([]string{"s3:GetObject", "s3:PutObject", "dynamodb:BatchGetItem", "sns:Publish"}, kms...),
}

// CrossAccount are the extra calls of the steps that reach a member
// account's functions, when the stack has a member role and its ExternalId.
var CrossAccount = map[string][]string{
	contract.StepSelfSkip:   {"sts:AssumeRole", "secretsmanager:GetSecretValue"},
	contract.StepCacheCheck: {"sts:AssumeRole", "secretsmanager:GetSecretValue"},
	contract.StepFetch:      {"sts:AssumeRole", "secretsmanager:GetSecretValue"},
	contract.StepTag:        {"sts:AssumeRole", "secretsmanager:GetSecretValue"},
	contract.StepBulkList:   {"sts:AssumeRole", "secretsmanager:GetSecretValue"},
}

// Optional are the calls of a feature the stack turns on: Security Hub
// (EnableSecurityHub) for store, an NVD API key (NvdApiKeySecret) for the
// mirror.
var Optional = map[string][]string{
	contract.StepStore:  {"securityhub:BatchImportFindings"},
	contract.StepMirror: {"secretsmanager:GetSecretValue"},
}
