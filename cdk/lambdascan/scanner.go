package lambdascan

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudtrail"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/aws-cdk-go/awscdk/v2/triggers"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/findings"
	"github.com/lambdascan/lambdascan/statemachine"
)

// MetricsNamespace is where the steps publish (the only namespace the
// metrics role may write to).
const MetricsNamespace = contract.MetricsNamespace

// Scanner is the deployed workflow.
type Scanner struct {
	constructs.Construct
	Key    awskms.Key
	Bucket awss3.Bucket
	Table  awsdynamodb.Table
	// Findings is the fleet's findings store (package shared/findings).
	Findings     awsdynamodb.Table
	Topic        awssns.Topic
	OpsTopic     awssns.Topic
	DLQ          awssqs.Queue
	StateMachine awsstepfunctions.StateMachine
	Functions    map[string]awslambda.Function
	Roles        map[string]awsiam.Role
	Policies     map[string]awsiam.Policy
	Bulk         awsstepfunctions.StateMachine
}

// FunctionName is the deployed name of a step's Lambda.
func FunctionName(step string) string { return contract.FunctionName(step) }

// RoleName is the deployed name of a step's role in a region (member
// accounts trust lambdascan-<step>-role-*). The region keeps stacks in
// several regions of one account apart: IAM names are account-wide.
func RoleName(step string, region *string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(contract.FunctionName(step) + "-role-"), region})
}

// crossAccountSteps are the steps that call Lambda on the scanned function.
var crossAccountSteps = []string{contract.StepSelfSkip, contract.StepCacheCheck, contract.StepFetch, contract.StepTag, contract.StepBulkList}

// NewScanner builds the scanner into scope.
func NewScanner(scope constructs.Construct, id string, p Props) Scanner {
	c := constructs.NewConstruct(scope, jsii.String(id))
	// Server access logs delivered under a bucket policy, not the legacy ACL.
	c.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
	s := Scanner{Construct: c, Functions: map[string]awslambda.Function{}, Roles: map[string]awsiam.Role{}, Policies: map[string]awsiam.Policy{}}
	stack := awscdk.Stack_Of(c)
	account, region, partition := stack.Account(), stack.Region(), stack.Partition()

	s.Key = newKey(c, account, region, partition)

	accessLogs := awss3.NewBucket(c, jsii.String("AccessLogs"), &awss3.BucketProps{
		// S3 server access logs cannot be delivered to a KMS-encrypted bucket.
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		LifecycleRules:    &[]*awss3.LifecycleRule{{Expiration: awscdk.Duration_Days(jsii.Number(p.ReportRetentionDays))}},
		RemovalPolicy:     awscdk.RemovalPolicy_RETAIN,
	})
	s.Bucket = awss3.NewBucket(c, jsii.String("Data"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          s.Key,
		BucketKeyEnabled:       jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		Versioned:              jsii.Bool(true), // reports are evidence: keep overwritten versions
		ServerAccessLogsBucket: accessLogs,
		ServerAccessLogsPrefix: jsii.String("data/"),
		LifecycleRules: &[]*awss3.LifecycleRule{
			{Id: jsii.String("staging"), Prefix: jsii.String(contract.StagingPrefix), Expiration: awscdk.Duration_Days(jsii.Number(1)),
				NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1))},
			// Image layers filtered to what the scan reads, keyed by digest: base
			// layers shared by many images are pulled once a month.
			{Id: jsii.String("layers"), Prefix: jsii.String(contract.LayersPrefix), Expiration: awscdk.Duration_Days(jsii.Number(30)),
				NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1))},
			{Id: jsii.String("reports"), Prefix: jsii.String(contract.ReportsPrefix), Expiration: awscdk.Duration_Days(jsii.Number(p.ReportRetentionDays)),
				NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(30))},
			{Id: jsii.String("results"), Prefix: jsii.String(contract.ResultsPrefix), Expiration: awscdk.Duration_Days(jsii.Number(p.ReportRetentionDays)),
				NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1))},
			{Id: jsii.String("vulndb"), Prefix: jsii.String(contract.VulnDBPrefix), NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(7))},
			// Index files are vulndb/<build time>-<hash>.lsdb; the pointer
			// (vulndb/current.json) is rewritten daily and not matched.
			{Id: jsii.String("vulndb-old-indexes"), Prefix: jsii.String("vulndb/2"), Expiration: awscdk.Duration_Days(jsii.Number(14))},
			{Id: jsii.String("bulk"), Prefix: jsii.String(contract.BulkPrefix), Expiration: awscdk.Duration_Days(jsii.Number(p.ReportRetentionDays)),
				NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(1))},
		},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	s.Table = awsdynamodb.NewTable(c, jsii.String("Cache"), &awsdynamodb.TableProps{
		PartitionKey:                     &awsdynamodb.Attribute{Name: jsii.String("pk"), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:                      awsdynamodb.BillingMode_PAY_PER_REQUEST,
		TimeToLiveAttribute:              jsii.String("ttl"),
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		Encryption:                       awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:                    s.Key,
		RemovalPolicy:                    awscdk.RemovalPolicy_RETAIN,
	})
	// No TTL: an open finding stays until a scan or a deletion resolves it.
	// A fixed name: `lambdascan affected` finds it without a stack lookup.
	s.Findings = awsdynamodb.NewTable(c, jsii.String("FindingsStore"), &awsdynamodb.TableProps{
		TableName:                        jsii.String(contract.FindingsTableName),
		PartitionKey:                     &awsdynamodb.Attribute{Name: jsii.String(findings.TableKeys[0]), Type: awsdynamodb.AttributeType_STRING},
		SortKey:                          &awsdynamodb.Attribute{Name: jsii.String(findings.TableKeys[1]), Type: awsdynamodb.AttributeType_STRING},
		BillingMode:                      awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: jsii.Bool(true)},
		Encryption:                       awsdynamodb.TableEncryption_CUSTOMER_MANAGED,
		EncryptionKey:                    s.Key,
		RemovalPolicy:                    awscdk.RemovalPolicy_RETAIN,
	})
	for _, name := range findings.Indexes {
		k := findings.IndexKeys[name]
		s.Findings.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{IndexName: jsii.String(name),
			PartitionKey:   &awsdynamodb.Attribute{Name: jsii.String(k[0]), Type: awsdynamodb.AttributeType_STRING},
			SortKey:        &awsdynamodb.Attribute{Name: jsii.String(k[1]), Type: awsdynamodb.AttributeType_STRING},
			ProjectionType: awsdynamodb.ProjectionType_ALL})
	}
	s.Topic = awssns.NewTopic(c, jsii.String("Findings"), &awssns.TopicProps{MasterKey: s.Key, EnforceSSL: jsii.Bool(true)})
	s.OpsTopic = awssns.NewTopic(c, jsii.String("Ops"), &awssns.TopicProps{MasterKey: s.Key, EnforceSSL: jsii.Bool(true)})
	s.DLQ = awssqs.NewQueue(c, jsii.String("EventsDLQ"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_KMS, EncryptionMasterKey: s.Key, EnforceSSL: jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})

	s.addFunctions(c, p, account, region, partition)
	s.addStateMachine(c, p)
	s.addBulk(c, p)
	s.addTriggers(c, p)
	s.addAlarmsAndDashboard(c, p)
	if p.CreateTrail {
		trailLogs := awss3.NewBucket(c, jsii.String("TrailBucket"), &awss3.BucketProps{
			Encryption: awss3.BucketEncryption_KMS, EncryptionKey: s.Key, BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
			EnforceSSL: jsii.Bool(true), Versioned: jsii.Bool(true), ServerAccessLogsBucket: accessLogs, ServerAccessLogsPrefix: jsii.String("trail/"),
			RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		})
		awscloudtrail.NewTrail(c, jsii.String("Trail"), &awscloudtrail.TrailProps{
			Bucket: trailLogs, EncryptionKey: s.Key, IsMultiRegionTrail: jsii.Bool(true), EnableFileValidation: jsii.Bool(true),
			ManagementEvents: awscloudtrail.ReadWriteType_WRITE_ONLY, SendToCloudWatchLogs: jsii.Bool(true),
			CloudWatchLogGroup: logGroup(c, "TrailLogs", s.Key, p), IncludeGlobalServiceEvents: jsii.Bool(true),
		})
	}
	return s
}

// newKey is the stack's one customer-managed key. The policy names its
// actions (no "kms:*"): administration and IAM delegation for the account,
// and only what CloudWatch Logs, EventBridge and CloudWatch alarms need.
func newKey(c constructs.Construct, account, region, partition *string) awskms.Key {
	root := awsiam.NewArnPrincipal(awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), partition, jsii.String(":iam::"), account, jsii.String(":root")}))
	doc := awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: &[]awsiam.PolicyStatement{
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("AccountAdministersAndDelegatesToIAM"), Principals: &[]awsiam.IPrincipal{root}, Resources: jsii.Strings("*"),
			Actions: jsii.Strings("kms:CreateAlias", "kms:CreateGrant", "kms:DescribeKey", "kms:EnableKey", "kms:EnableKeyRotation",
				"kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListAliases", "kms:ListGrants", "kms:ListResourceTags",
				"kms:PutKeyPolicy", "kms:UpdateAlias", "kms:UpdateKeyDescription", "kms:RevokeGrant", "kms:RetireGrant", "kms:DisableKey",
				"kms:DisableKeyRotation", "kms:DeleteAlias", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
				"kms:CancelKeyDeletion", "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
				"kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"),
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("CloudWatchLogs"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("logs."), region, jsii.String(".amazonaws.com")}), nil)},
			Actions:    jsii.Strings("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:DescribeKey"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]interface{}{"ArnLike": map[string]interface{}{
				"kms:EncryptionContext:aws:logs:arn": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), partition, jsii.String(":logs:"), region, jsii.String(":"), account, jsii.String(":log-group:*")}),
			}},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("EventsAndAlarmsToEncryptedQueuesAndTopics"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil), awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
			Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": account}},
		}),
		awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("CloudTrail"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudtrail.amazonaws.com"), nil)},
			Actions:    jsii.Strings("kms:GenerateDataKey", "kms:DescribeKey"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": account}},
		}),
	}})
	return awskms.NewKey(c, jsii.String("Key"), &awskms.KeyProps{
		Description: jsii.String("lambdascan: reports, cache, vuln index, queues, topics and logs"), EnableKeyRotation: jsii.Bool(true),
		Policy: doc, RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}

func logGroup(c constructs.Construct, id string, key awskms.IKey, p Props) awslogs.LogGroup {
	return awslogs.NewLogGroup(c, jsii.String(id), &awslogs.LogGroupProps{
		EncryptionKey: key, Retention: retention(p.LogRetentionDays), RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
}

func retention(days float64) awslogs.RetentionDays {
	steps := []struct {
		days float64
		r    awslogs.RetentionDays
	}{{1, awslogs.RetentionDays_ONE_DAY}, {3, awslogs.RetentionDays_THREE_DAYS}, {5, awslogs.RetentionDays_FIVE_DAYS},
		{7, awslogs.RetentionDays_ONE_WEEK}, {14, awslogs.RetentionDays_TWO_WEEKS}, {30, awslogs.RetentionDays_ONE_MONTH},
		{60, awslogs.RetentionDays_TWO_MONTHS}, {90, awslogs.RetentionDays_THREE_MONTHS}, {120, awslogs.RetentionDays_FOUR_MONTHS},
		{150, awslogs.RetentionDays_FIVE_MONTHS}, {180, awslogs.RetentionDays_SIX_MONTHS}, {365, awslogs.RetentionDays_ONE_YEAR},
		{400, awslogs.RetentionDays_THIRTEEN_MONTHS}, {545, awslogs.RetentionDays_EIGHTEEN_MONTHS}, {731, awslogs.RetentionDays_TWO_YEARS}}
	for _, s := range steps {
		if days <= s.days {
			return s.r
		}
	}
	return awslogs.RetentionDays_FIVE_YEARS
}

// stmt is a policy statement with explicit actions on explicit resources.
func stmt(actions []string, resources []*string, conditions map[string]interface{}) awsiam.PolicyStatement {
	props := &awsiam.PolicyStatementProps{Actions: jsii.Strings(actions...), Resources: &resources}
	if conditions != nil {
		props.Conditions = &conditions
	}
	return awsiam.NewPolicyStatement(props)
}

func (s *Scanner) addFunctions(c constructs.Construct, p Props, account, region, partition *string) {
	arn := func(parts ...string) *string {
		ss := make([]*string, 0, len(parts))
		for _, x := range parts {
			switch x {
			case "$P":
				ss = append(ss, partition)
			case "$R":
				ss = append(ss, region)
			case "$A":
				ss = append(ss, account)
			default:
				ss = append(ss, jsii.String(x))
			}
		}
		return awscdk.Fn_Join(jsii.String(""), &ss)
	}
	// Scanned functions: this account's, and members' through their role.
	functions := arn("arn:", "$P", ":lambda:*:", "$A", ":function:*")
	layers := arn("arn:", "$P", ":lambda:*:*:layer:*:*")
	obj := func(prefix string) *string {
		return awscdk.Fn_Join(jsii.String(""), &[]*string{s.Bucket.BucketArn(), jsii.String("/" + prefix + "*")})
	}
	kmsUse := stmt([]string{"kms:Decrypt", "kms:GenerateDataKey"}, []*string{s.Key.KeyArn()}, nil)
	var names []string
	for _, st := range contract.Steps {
		names = append(names, FunctionName(st.Name))
	}
	env := map[string]*string{
		"LAMBDASCAN_BUCKET": s.Bucket.BucketName(), "LAMBDASCAN_CACHE_TABLE": s.Table.TableName(), "LAMBDASCAN_FINDINGS_TABLE": s.Findings.TableName(), "LAMBDASCAN_EVENT_BUS": jsii.String("default"),
		"LAMBDASCAN_SECURITY_HUB": jsii.String(fmt.Sprint(p.EnableSecurityHub)), "LAMBDASCAN_TOPIC_ARN": s.Topic.TopicArn(),
		"LAMBDASCAN_METRICS_NAMESPACE": jsii.String(MetricsNamespace), "LAMBDASCAN_SELF_FUNCTIONS": jsii.String(join(names)),
		"LAMBDASCAN_CACHE_TTL_DAYS": jsii.String(fmt.Sprint(p.CacheTTLDays)), "LAMBDASCAN_ENABLE_TAGGING": jsii.String(fmt.Sprint(p.EnableTagging)),
		"LAMBDASCAN_NOTIFY_SEVERITY": jsii.String(p.NotifySeverity), "LAMBDASCAN_NOTIFY_IGNORE_UNKNOWN": jsii.String(fmt.Sprint(p.NotifyIgnoreUnknown)),
		"LAMBDASCAN_VULNDB_SOURCE_URL": jsii.String(p.VulnDBSourceURL),
		"LAMBDASCAN_ECOSYSTEMS":        jsii.String(join(p.Ecosystems)), "LAMBDASCAN_ACCOUNT": account, "LAMBDASCAN_PARTITION": partition,
		"LAMBDASCAN_TMP": jsii.String("/tmp"), "LAMBDASCAN_REGIONS": jsii.String(join(p.Regions)),
		"LAMBDASCAN_CONTROL_PLANE_RPS": jsii.String(fmt.Sprint(p.ControlPlaneRPS)),
		"LAMBDASCAN_GET_FUNCTION_RPS":  jsii.String(fmt.Sprint(p.GetFunctionRPS)),
	}
	if len(p.Regions) == 0 {
		env["LAMBDASCAN_REGIONS"] = region
	}
	if p.CrossAccountRoleName != "" {
		env["LAMBDASCAN_CROSS_ACCOUNT_ROLE"] = jsii.String(p.CrossAccountRoleName)
	}
	if p.ExternalIDSecret != "" {
		env["LAMBDASCAN_EXTERNAL_ID_SECRET"] = jsii.String(p.ExternalIDSecret)
	}
	env["LAMBDASCAN_FEEDS"] = jsii.String("none")
	if len(p.Feeds) > 0 {
		env["LAMBDASCAN_FEEDS"] = jsii.String(join(p.Feeds))
	}
	for k, v := range map[string]string{"LAMBDASCAN_NVD_API_KEY_SECRET": p.NVDAPIKeySecret, "LAMBDASCAN_NVD_URL": p.NVDURL,
		"LAMBDASCAN_KEV_URL": p.KEVURL, "LAMBDASCAN_EPSS_URL": p.EPSSURL} {
		if v != "" {
			env[k] = jsii.String(v)
		}
	}
	// The control-plane pace is a token bucket item in the cache table.
	pace := stmt([]string{"dynamodb:GetItem", "dynamodb:PutItem"}, []*string{s.Table.TableArn()}, nil)
	tagKeys := map[string]interface{}{"ForAllValues:StringEquals": map[string]interface{}{"aws:TagKeys": contract.TagKeys}}
	perStep := map[string][]awsiam.PolicyStatement{
		// A bulk item's claims hold only from a running bulk execution.
		contract.StepValidate: {stmt([]string{"states:DescribeExecution"}, []*string{arn("arn:", "$P", ":states:", "$R", ":", "$A", ":execution:"+contract.BulkStateMachine+"*")}, nil)},
		// The pace's bucket item sits in the CMK-encrypted table: kmsUse too.
		contract.StepSelfSkip: {stmt([]string{"lambda:ListTags"}, []*string{functions}, nil), pace, kmsUse},
		contract.StepCacheCheck: {
			stmt([]string{"lambda:GetFunctionConfiguration"}, []*string{functions}, nil),
			stmt([]string{"dynamodb:GetItem", "dynamodb:PutItem"}, []*string{s.Table.TableArn()}, nil),
			stmt([]string{"s3:GetObject"}, []*string{obj(contract.VulnDBPrefix)}, nil), kmsUse,
		},
		contract.StepFetch: {
			stmt([]string{"lambda:GetFunction"}, []*string{functions}, nil),
			stmt([]string{"lambda:GetLayerVersion"}, []*string{layers}, nil),
			// Image functions: pull manifests and layers from the account's ECR.
			stmt([]string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, []*string{arn("arn:", "$P", ":ecr:*:", "$A", ":repository/*")}, nil),
			stmt([]string{"ecr:GetAuthorizationToken"}, []*string{jsii.String("*")}, nil), // no resource-level permissions
			stmt([]string{"s3:GetObject", "s3:PutObject"}, []*string{obj(contract.StagingPrefix), obj(contract.LayersPrefix)}, nil),
			stmt([]string{"dynamodb:GetItem", "dynamodb:PutItem"}, []*string{s.Table.TableArn()}, nil), kmsUse,
		},
		contract.StepScan: {
			stmt([]string{"s3:GetObject"}, []*string{obj(contract.StagingPrefix), obj(contract.LayersPrefix), obj(contract.VulnDBPrefix), obj(contract.ResultsPrefix)}, nil),
			stmt([]string{"s3:PutObject"}, []*string{obj(contract.ResultsPrefix), obj(contract.LayersPrefix)}, nil), kmsUse,
		},
		contract.StepStore: {
			// reports/: HeadObject of latest.json before a conditional write.
			stmt([]string{"s3:GetObject"}, []*string{obj(contract.ResultsPrefix), obj(contract.ReportsPrefix)}, nil),
			stmt([]string{"s3:PutObject"}, []*string{obj(contract.ReportsPrefix)}, nil),
			stmt([]string{"dynamodb:PutItem"}, []*string{s.Table.TableArn()}, nil), kmsUse,
			// The findings store: read the version's items, write the diff.
			stmt([]string{"dynamodb:Query", "dynamodb:BatchWriteItem"}, []*string{s.Findings.TableArn()}, nil),
			// Finding New / Finding Resolved / Scan Completed (package eventbus).
			stmt([]string{"events:PutEvents"}, []*string{arn("arn:", "$P", ":events:", "$R", ":", "$A", ":event-bus/default")}, nil),
		},
		contract.StepTag: {stmt([]string{"lambda:TagResource"}, []*string{functions}, tagKeys), pace, kmsUse},
		contract.StepMetrics: {stmt([]string{"cloudwatch:PutMetricData"}, []*string{jsii.String("*")},
			map[string]interface{}{"StringEquals": map[string]interface{}{"cloudwatch:namespace": MetricsNamespace}})},
		contract.StepNotify: {stmt([]string{"sns:Publish"}, []*string{s.Topic.TopicArn()}, nil), kmsUse},
		contract.StepMirror: {stmt([]string{"s3:GetObject", "s3:PutObject"}, []*string{obj(contract.VulnDBPrefix)}, nil), kmsUse,
			// FeedFailure per feed, and IndexAgeHours.
			stmt([]string{"cloudwatch:PutMetricData"}, []*string{jsii.String("*")},
				map[string]interface{}{"StringEquals": map[string]interface{}{"cloudwatch:namespace": MetricsNamespace}})},
		contract.StepBulkList: {
			// ListFunctions, GetResources and ListAccounts have no resource-level permissions.
			stmt([]string{"lambda:ListFunctions", "tag:GetResources", "organizations:ListAccounts"}, []*string{jsii.String("*")}, nil),
			stmt([]string{"s3:PutObject"}, []*string{obj(contract.BulkPrefix)}, nil), kmsUse, pace,
		},
		contract.StepBulkReport: {
			stmt([]string{"s3:GetObject", "s3:PutObject"}, []*string{obj(contract.BulkPrefix)}, nil),
			stmt([]string{"dynamodb:BatchGetItem"}, []*string{s.Table.TableArn()}, nil),
			stmt([]string{"sns:Publish"}, []*string{s.Topic.TopicArn()}, nil), kmsUse,
		},
	}
	if p.NVDAPIKeySecret != "" {
		perStep[contract.StepMirror] = append(perStep[contract.StepMirror], stmt([]string{"secretsmanager:GetSecretValue"},
			[]*string{arn("arn:", "$P", ":secretsmanager:", "$R", ":", "$A", ":secret:"+p.NVDAPIKeySecret+"*")}, nil))
	}
	if p.EnableSecurityHub {
		// The account's own findings product (package securityhub).
		perStep[contract.StepStore] = append(perStep[contract.StepStore], stmt([]string{"securityhub:BatchImportFindings"},
			[]*string{arn("arn:", "$P", ":securityhub:", "$R", ":", "$A", ":product/", "$A", "/default")}, nil))
	}
	for _, st := range crossAccountSteps {
		if p.CrossAccountRoleName != "" {
			perStep[st] = append(perStep[st], stmt([]string{"sts:AssumeRole"},
				[]*string{arn("arn:", "$P", ":iam::*:role/"+p.CrossAccountRoleName)}, nil))
		}
		if p.ExternalIDSecret != "" {
			perStep[st] = append(perStep[st], stmt([]string{"secretsmanager:GetSecretValue"},
				[]*string{arn("arn:", "$P", ":secretsmanager:", "$R", ":", "$A", ":secret:"+p.ExternalIDSecret+"*")}, nil))
		}
	}
	for _, st := range contract.Steps {
		name := st.Name
		logs := logGroup(c, "Logs-"+name, s.Key, p)
		role := awsiam.NewRole(c, jsii.String("Role-"+name), &awsiam.RoleProps{
			RoleName:  RoleName(name, region),
			AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		})
		statements := append([]awsiam.PolicyStatement{
			stmt([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, []*string{logs.LogGroupArn(), awscdk.Fn_Join(jsii.String(""), &[]*string{logs.LogGroupArn(), jsii.String(":*")})}, nil),
			// X-Ray accepts no resource but "*".
			stmt([]string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, []*string{jsii.String("*")}, nil),
		}, perStep[name]...)
		policy := awsiam.NewPolicy(c, jsii.String("Policy-"+name), &awsiam.PolicyProps{Roles: &[]awsiam.IRole{role}, Statements: &statements})
		s.Policies[name] = policy
		memory, timeout, tmp := 256.0, 60.0, 512.0
		switch name {
		case contract.StepScan:
			memory, timeout, tmp = p.ScannerMemorySize, p.ScannerTimeout, p.EphemeralStorage
		case contract.StepFetch:
			// Inflates and filters image layers: the scanner's CPU share.
			memory, timeout, tmp = p.ScannerMemorySize, p.ScannerTimeout, p.EphemeralStorage
		case contract.StepMirror:
			memory, timeout, tmp = 2048, 900, 4096
		}
		fp := &awslambda.FunctionProps{
			FunctionName:         jsii.String(FunctionName(name)),
			Runtime:              awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:         awslambda.Architecture_ARM_64(),
			Handler:              jsii.String("bootstrap"),
			Code:                 awslambda.Code_FromAsset(jsii.String(filepath.Join(p.AssetsDir, name)), nil),
			MemorySize:           jsii.Number(memory),
			Timeout:              awscdk.Duration_Seconds(jsii.Number(timeout)),
			EphemeralStorageSize: awscdk.Size_Mebibytes(jsii.Number(tmp)),
			Role:                 role,
			LogGroup:             logs,
			Tracing:              awslambda.Tracing_ACTIVE,
			Environment:          withEnv(env, "LAMBDASCAN_EPHEMERAL_MB", fmt.Sprint(tmp)),
		}
		if name == contract.StepScan {
			fp.ReservedConcurrentExecutions = jsii.Number(p.ScannerConcurrency)
		}
		fn := awslambda.NewFunction(c, jsii.String("Fn-"+name), fp)
		fn.Node().AddDependency(policy) // no invocation before its permissions exist
		awscdk.Tags_Of(fn).Add(jsii.String(config.SelfTagKey), jsii.String(name), nil)
		s.Functions[name], s.Roles[name] = fn, role
	}
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}

// substitutions maps the ASL's ${XFunctionArn} placeholders to the step
// functions (plus extra values), and lists the functions it invokes.
func (s *Scanner) substitutions(def []byte, extra map[string]*string) (map[string]*string, []*string) {
	subs := map[string]*string{}
	var invokeArns []*string
	for _, name := range statemachine.Placeholders(def) {
		if v, ok := extra[name]; ok {
			subs[name] = v
			continue
		}
		for _, st := range contract.Steps {
			if st.Placeholder == name {
				fn := s.Functions[st.Name]
				subs[name] = fn.FunctionArn()
				invokeArns = append(invokeArns, fn.FunctionArn(), awscdk.Fn_Join(jsii.String(""), &[]*string{fn.FunctionArn(), jsii.String(":*")}))
			}
		}
	}
	return subs, invokeArns
}

func (s *Scanner) addStateMachine(c constructs.Construct, p Props) {
	subs, invokeArns := s.substitutions(statemachine.Scan, nil)
	logs := logGroup(c, "StateMachineLogs", s.Key, p)
	role := awsiam.NewRole(c, jsii.String("StateMachineRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil)})
	role.AddToPolicy(stmt([]string{"lambda:InvokeFunction"}, invokeArns, nil))
	s.StateMachine = awsstepfunctions.NewStateMachine(c, jsii.String("Scan"), &awsstepfunctions.StateMachineProps{
		StateMachineName:        jsii.String(contract.ScanStateMachine),
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(string(statemachine.Scan))),
		DefinitionSubstitutions: &subs,
		StateMachineType:        awsstepfunctions.StateMachineType_STANDARD,
		Role:                    role,
		TracingEnabled:          jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{Destination: logs, Level: awsstepfunctions.LogLevel(p.LogLevel),
			IncludeExecutionData: jsii.Bool(false)}, // execution data would copy targets into logs
	})
	// CloudTrail events for Lambda API calls that change code or configuration,
	// this account's and those its members forward (addMemberBusPolicy).
	rule := awsevents.NewRule(c, jsii.String("LambdaChanges"), &awsevents.RuleProps{
		Description:  jsii.String("Scan Lambda functions whose code, layers or runtime changed"),
		EventPattern: scanEventPattern(ruleAccounts(c, p)),
	})
	s.addMemberBusPolicy(c, p)
	rule.AddTarget(awseventstargets.NewSfnStateMachine(s.StateMachine, &awseventstargets.SfnStateMachineProps{
		DeadLetterQueue: s.DLQ, RetryAttempts: jsii.Number(8), MaxEventAge: awscdk.Duration_Hours(jsii.Number(24)),
	}))
}

// addBulk is the bulk workflow: enumerate into S3, a Distributed Map of
// child scan executions, a summary; started by BulkScanSchedule or the console.
func (s *Scanner) addBulk(c constructs.Construct, p Props) {
	stack := awscdk.Stack_Of(c)
	def, err := withMaxConcurrency(statemachine.Bulk, p.BulkMaxConcurrency)
	if err != nil {
		panic(err) // the embedded ASL is checked by statemachine's tests
	}
	subs, invokeArns := s.substitutions(def, map[string]*string{contract.ScanStateMachinePlaceholder: s.StateMachine.StateMachineArn(),
		contract.ResultsBucketPlaceholder: s.Bucket.BucketName()})
	execArn := func(machine string) *string {
		return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":states:"), stack.Region(),
			jsii.String(":"), stack.Account(), jsii.String(":execution:" + machine)})
	}
	bulkArn := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":states:"), stack.Region(),
		jsii.String(":"), stack.Account(), jsii.String(":stateMachine:" + contract.BulkStateMachine)})
	role := awsiam.NewRole(c, jsii.String("BulkStateMachineRole"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("states.amazonaws.com"), nil)})
	role.AddToPolicy(stmt([]string{"lambda:InvokeFunction"}, invokeArns, nil))
	// Child scans run synchronously (.sync:2): start, watch, stop; and the
	// Distributed Map starts child executions of this state machine itself.
	role.AddToPolicy(stmt([]string{"states:StartExecution"}, []*string{s.StateMachine.StateMachineArn(), bulkArn}, nil))
	role.AddToPolicy(stmt([]string{"states:DescribeExecution", "states:StopExecution"}, []*string{
		awscdk.Fn_Join(jsii.String(""), &[]*string{execArn(contract.ScanStateMachine), jsii.String(":*")}),
		awscdk.Fn_Join(jsii.String(""), &[]*string{execArn(contract.BulkStateMachine), jsii.String("/*")})}, nil))
	role.AddToPolicy(stmt([]string{"events:PutTargets", "events:PutRule", "events:DescribeRule"}, []*string{awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), stack.Partition(), jsii.String(":events:"), stack.Region(), jsii.String(":"), stack.Account(),
		jsii.String(":rule/StepFunctionsGetEventsForStepFunctionsExecutionRule")})}, nil))
	role.AddToPolicy(stmt([]string{"s3:GetObject"}, []*string{awscdk.Fn_Join(jsii.String(""), &[]*string{s.Bucket.BucketArn(), jsii.String("/bulk/*")})}, nil))
	// The Map's ResultWriter: child results under bulk/results/<map run>/ (multipart for large batches).
	role.AddToPolicy(stmt([]string{"s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"},
		[]*string{awscdk.Fn_Join(jsii.String(""), &[]*string{s.Bucket.BucketArn(), jsii.String("/" + contract.BulkResultsPrefix + "*")})}, nil))
	role.AddToPolicy(stmt([]string{"kms:Decrypt", "kms:GenerateDataKey"}, []*string{s.Key.KeyArn()}, nil))
	logs := logGroup(c, "BulkStateMachineLogs", s.Key, p)
	s.Bulk = awsstepfunctions.NewStateMachine(c, jsii.String("Bulk"), &awsstepfunctions.StateMachineProps{
		StateMachineName:        jsii.String(contract.BulkStateMachine),
		DefinitionBody:          awsstepfunctions.DefinitionBody_FromString(jsii.String(string(def))),
		DefinitionSubstitutions: &subs,
		Role:                    role,
		TracingEnabled:          jsii.Bool(true),
		Logs:                    &awsstepfunctions.LogOptions{Destination: logs, Level: awsstepfunctions.LogLevel(p.LogLevel), IncludeExecutionData: jsii.Bool(false)},
	})
	if p.BulkScanSchedule != "" {
		awsevents.NewRule(c, jsii.String("BulkSchedule"), &awsevents.RuleProps{
			Description: jsii.String("Scheduled bulk scan of every function"),
			Schedule:    awsevents.Schedule_Expression(jsii.String(p.BulkScanSchedule)),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(s.Bulk, &awseventstargets.SfnStateMachineProps{
				Input: awsevents.RuleTargetInput_FromObject(map[string]interface{}{}), DeadLetterQueue: s.DLQ, RetryAttempts: jsii.Number(4),
			})},
		})
	}
}

// withMaxConcurrency sets the bulk Map's MaxConcurrency (a number in the ASL,
// which placeholders cannot fill).
func withMaxConcurrency(def []byte, n float64) ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(def, &doc); err != nil {
		return nil, err
	}
	states, _ := doc["States"].(map[string]any)
	scanAll, ok := states["ScanAll"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("bulk ASL has no ScanAll state")
	}
	scanAll["MaxConcurrency"] = n
	return json.MarshalIndent(doc, "", "  ")
}

func (s *Scanner) addTriggers(c constructs.Construct, p Props) {
	mirror := s.Functions[contract.StepMirror]
	// The daily run is an asynchronous invoke: a run that fails after
	// Lambda's retries lands in the DLQ, whose alarm fires (MirrorFailed
	// fires on the first failed attempt).
	mirror.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
		OnFailure: awslambdadestinations.NewSqsDestination(s.DLQ), RetryAttempts: jsii.Number(2),
		MaxEventAge: awscdk.Duration_Hours(jsii.Number(6)),
	})
	awsevents.NewRule(c, jsii.String("DailyMirror"), &awsevents.RuleProps{
		Description: jsii.String("Refresh the OSV mirror daily"),
		Schedule:    awsevents.Schedule_Rate(awscdk.Duration_Days(jsii.Number(1))),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(mirror, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: s.DLQ, RetryAttempts: jsii.Number(2),
		})},
	})
	// Once after every deploy, so the first scan finds an index.
	triggers.NewTrigger(c, jsii.String("MirrorAfterDeploy"), &triggers.TriggerProps{
		Handler: mirror, ExecuteAfter: &[]constructs.Construct{s.Bucket, mirror},
		Timeout: awscdk.Duration_Minutes(jsii.Number(15)),
	})
	_ = p
}

func (s *Scanner) addAlarmsAndDashboard(c constructs.Construct, p Props) {
	action := awscloudwatchactions.NewSnsAction(s.OpsTopic)
	alarm := func(id string, m awscloudwatch.IMetric, threshold float64, op awscloudwatch.ComparisonOperator, desc string) {
		a := awscloudwatch.NewAlarm(c, jsii.String(id), &awscloudwatch.AlarmProps{
			Metric: m, Threshold: jsii.Number(threshold), EvaluationPeriods: jsii.Number(1), ComparisonOperator: op,
			TreatMissingData: awscloudwatch.TreatMissingData_NOT_BREACHING, AlarmDescription: jsii.String(desc),
		})
		a.AddAlarmAction(action)
	}
	five := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5))}
	for _, st := range contract.Steps {
		fn := s.Functions[st.Name]
		alarm("Errors-"+st.Name, fn.MetricErrors(five), 5, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, st.Name+": more than 5 errors in 5 minutes")
		alarm("Throttles-"+st.Name, fn.MetricThrottles(five), 1, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, st.Name+": throttled")
		timeout := *fn.Timeout().ToMilliseconds(nil)
		alarm("Duration-"+st.Name, fn.MetricDuration(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum")}),
			0.8*timeout, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, st.Name+": a run took more than 80% of the timeout")
	}
	alarm("DLQMessages", s.DLQ.MetricApproximateNumberOfMessagesVisible(five), 0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, "events or mirror runs dead-lettered")
	alarm("CodeHashMismatch", awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String(MetricsNamespace),
		MetricName: jsii.String(contract.MetricCodeHashMismatch), Statistic: jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5))}),
		0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, "downloaded code did not match the CodeSha256 Lambda reported (tampering, or a bad download)")
	// IndexAgeHours comes after every mirror run (daily); no data for a day
	// is a mirror that did not run at all.
	ageAlarm := awscloudwatch.NewAlarm(c, jsii.String("IndexAge"), &awscloudwatch.AlarmProps{
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String(MetricsNamespace), MetricName: jsii.String(contract.MetricIndexAgeHours),
			Statistic: jsii.String("Maximum"), Period: awscdk.Duration_Days(jsii.Number(1))}),
		Threshold: jsii.Number(36), EvaluationPeriods: jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, TreatMissingData: awscloudwatch.TreatMissingData_BREACHING,
		AlarmDescription: jsii.String("the vulnerability index is older than 36 hours (or no mirror run reported for a day)"),
	})
	ageAlarm.AddAlarmAction(action)
	alarm("MirrorFailed", s.Functions[contract.StepMirror].MetricErrors(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Hours(jsii.Number(1)), Statistic: jsii.String("Sum")}),
		0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, "a vulnerability-data mirror run failed (the index is going stale)")
	alarm("FailedExecutions", s.StateMachine.MetricFailed(five), 0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, "scan executions failed (redrive them)")
	alarm("FailedBulkRuns", s.Bulk.MetricFailed(five), 0, awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, "bulk runs failed (lambdascan replay)")

	metric := func(name string, stat string, dims map[string]*string) awscloudwatch.Metric {
		mp := &awscloudwatch.MetricProps{Namespace: jsii.String(MetricsNamespace), MetricName: jsii.String(name), Statistic: jsii.String(stat),
			Period: awscdk.Duration_Minutes(jsii.Number(5))}
		if dims != nil {
			mp.DimensionsMap = &dims
		}
		return awscloudwatch.NewMetric(mp)
	}
	// A feed whose refresh failed: the index keeps its previous data and
	// names the error in its header (lambdascan db info).
	for _, f := range p.Feeds {
		alarm("FeedFailure-"+f, metric(contract.MetricFeedFailure, "Sum", map[string]*string{"Feed": jsii.String(f)}), 0,
			awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, "the mirror could not refresh the "+f+" feed (the index keeps its previous data)")
	}
	var bySeverity []awscloudwatch.IMetric
	for _, l := range []string{"critical", "high", "medium", "low", "unknown"} {
		bySeverity = append(bySeverity, metric(contract.MetricVulnerabilities, "Sum", map[string]*string{"Severity": jsii.String(l)}))
	}
	graph := func(title string, ms ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String(title), Left: &ms, Width: jsii.Number(8)})
	}
	awscloudwatch.NewDashboard(c, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(contract.Prefix + "-"), awscdk.Stack_Of(c).Region()}),
		Widgets: &[]*[]awscloudwatch.IWidget{
			{graph("Scans", metric(contract.MetricScanSuccess, "Sum", nil), metric(contract.MetricScanPartialSuccess, "Sum", nil)),
				graph("Cache hits", metric(contract.MetricCacheHit, "Sum", nil)),
				graph("Scan duration (ms)", metric(contract.MetricScanDuration, "Average", nil), metric(contract.MetricScanDuration, "Maximum", nil))},
			{graph("Findings by severity", bySeverity...),
				graph("Failures", metric(contract.MetricScanFailure, "Sum", nil), s.StateMachine.MetricFailed(five), s.DLQ.MetricApproximateNumberOfMessagesVisible(five))},
		},
	})
}

// withEnv is a copy of env with k=v (per-function settings).
func withEnv(env map[string]*string, k, v string) *map[string]*string {
	out := make(map[string]*string, len(env)+1)
	for ek, ev := range env {
		out[ek] = ev
	}
	out[k] = jsii.String(v)
	return &out
}
