package localstack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	lambdasvc "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/lambdascan/lambdascan/shared/cache"
	"github.com/lambdascan/lambdascan/shared/config"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/events"
	"github.com/lambdascan/lambdascan/shared/findings"
	"github.com/lambdascan/lambdascan/shared/vulndbstore"
	"github.com/lambdascan/lambdascan/statemachine"
)

// Names of the local deployment.
const (
	Prefix          = contract.Prefix
	Bucket          = "lambdascan-local"
	CodeBucket      = "awslambda-" + Region + "-tasks" // where moto reads function code
	CacheTable      = "lambdascan-cache"
	FindingsTable   = contract.FindingsTableName
	RuleName        = "lambdascan-lambda-changes"
	MachineName     = contract.ScanStateMachine
	BulkMachineName = contract.BulkStateMachine
	// FunctionRole is the execution role of the target functions.
	FunctionRole = "target-function-role"
	// MemberRole and MemberExternalID are what member accounts grant the
	// scanner (the member-account stack's read-only role).
	MemberRole       = "lambdascan-member"
	MemberExternalID = "lambdascan-local-external-id"
)

// Options shape a deployment.
type Options struct {
	ControlPlaneRPS float64  // bulk enumeration pace per account/region
	Regions         []string // regions bulk runs cover by default
	OSVDir          string   // served on loopback as the OSV export bucket
	Ecosystems      []string // what the mirror fetches
	Now             func() time.Time
}

// Env is the scanner deployed on a local stack, as `cdk deploy` would.
type Env struct {
	Stack   *Stack
	Account string // whose functions CreateFunction makes
	AWS     *Clients
	// Config is what every step runs with; Cache and VulnDB are the
	// deployment's cache table and index store, for checks.
	Config              config.Config
	Cache               *cache.Table
	VulnDB              *vulndbstore.Store
	StateMachineARN     string
	BulkStateMachineARN string
	TopicARN            string
	FindingsQueue       string // SQS queue subscribed to the topic
	EventsQueue         string // EventBridge rule target
	OSVURL              string
	RegistryHost        string // the local ECR (see registry.go)

	osv        *http.Server
	registry   *http.Server
	blobPulls  int
	stopBridge context.CancelFunc
	bridgeDone sync.WaitGroup
	bridgeErr  error
	mu         sync.Mutex
}

// Clients returns SDK clients for the stack (static test credentials).
func (s *Stack) Clients() *Clients {
	cfg := aws.Config{Region: Region, Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test", Source: "localstack"}, nil
	})}
	return NewClients(cfg, s.Endpoint)
}

// FunctionName is the local name of a step's Lambda (the stack's name).
func FunctionName(step string) string { return contract.FunctionName(step) }

// FunctionARN is the local ARN of a function.
func FunctionARN(name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", Region, Account, name)
}

// Deploy creates the resources, registers the step handlers, creates the
// state machine from statemachine/scan.asl.json, wires the EventBridge rule
// to an SQS queue with a bridge to StartExecution (moto cannot target Step
// Functions), and runs the vuln DB mirror once, as after a deploy.
func Deploy(ctx context.Context, s *Stack, opt Options) (*Env, error) {
	c := s.Clients()
	e := &Env{Stack: s, AWS: c, Account: Account}
	if err := e.serveOSV(opt.OSVDir); err != nil {
		return nil, err
	}
	if err := e.serveRegistry(); err != nil {
		return nil, err
	}
	for _, b := range []string{Bucket, CodeBucket} {
		if _, err := c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b),
			CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(Region)}}); err != nil {
			return nil, fmt.Errorf("bucket %s: %w", b, err)
		}
	}
	if _, err := c.DynamoDB.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(CacheTable),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		return nil, fmt.Errorf("table: %w", err)
	}
	if _, err := c.DynamoDB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(CacheTable),
		TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(true)}}); err != nil {
		return nil, fmt.Errorf("table TTL: %w", err)
	}
	if _, err := c.DynamoDB.CreateTable(ctx, findings.CreateTableInput(FindingsTable)); err != nil {
		return nil, fmt.Errorf("findings table: %w", err)
	}
	// Target functions run as this role (moto checks it exists).
	iamc := iam.NewFromConfig(c.Config, func(o *iam.Options) { o.BaseEndpoint = aws.String(s.Endpoint) })
	if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(FunctionRole),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		return nil, fmt.Errorf("role: %w", err)
	}
	topic, err := c.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(Prefix + "-findings")})
	if err != nil {
		return nil, err
	}
	e.TopicARN = aws.ToString(topic.TopicArn)
	sqsc := sqs.NewFromConfig(c.Config, func(o *sqs.Options) { o.BaseEndpoint = aws.String(s.Endpoint) })
	var findingsARN, eventsARN string
	if e.FindingsQueue, findingsARN, err = createQueue(ctx, sqsc, Prefix+"-findings-sub"); err != nil {
		return nil, err
	}
	if e.EventsQueue, eventsARN, err = createQueue(ctx, sqsc, Prefix+"-events"); err != nil {
		return nil, err
	}
	if _, err := c.SNS.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(findingsARN)}); err != nil {
		return nil, err
	}

	cfg := config.Config{
		Bucket: Bucket, CacheTable: CacheTable, FindingsTable: FindingsTable, EventBus: "default", SecurityHub: true, TopicARN: e.TopicARN, MetricsNS: contract.MetricsNamespace,
		SelfTagKey: config.SelfTagKey, CacheTTL: 30 * 24 * time.Hour, EnableTagging: true, NotifySeverity: "high",
		VulnDBSourceURL: e.OSVURL, Ecosystems: opt.Ecosystems, Region: Region, Account: Account, Partition: "aws",
		CrossAccountRoleName: MemberRole, ExternalID: MemberExternalID,
		Regions: opt.Regions, ControlPlaneRPS: opt.ControlPlaneRPS, GetFunctionRPS: 100, ECRMirror: e.RegistryHost, EphemeralBytes: 512 << 20, BulkMaxConcurrency: 10, BulkToleratedFailurePercent: 10,
	}
	if len(cfg.Regions) == 0 {
		cfg.Regions = []string{Region}
	}
	if cfg.ControlPlaneRPS == 0 {
		cfg.ControlPlaneRPS = 50 // the emulator has no throttle; tests that measure pacing set their own
	}
	tmp, err := os.MkdirTemp("", "lambdascan-local-tmp-")
	if err != nil {
		return nil, err
	}
	cfg.TmpDir = tmp
	values := map[string]string{}
	for _, st := range contract.Steps {
		cfg.SelfFunctions = append(cfg.SelfFunctions, FunctionName(st.Name))
		if st.Placeholder != "" {
			values[st.Placeholder] = FunctionARN(FunctionName(st.Name))
		}
	}
	e.Config = cfg
	e.Cache = cache.Open(c.Env, cfg)
	e.VulnDB = &vulndbstore.Store{S3: c.S3, Bucket: cfg.Bucket, TmpDir: cfg.TmpDir}
	if opt.Now != nil {
		e.Cache.Now = opt.Now
	}
	for _, st := range contract.Steps {
		h, err := Handler(st.Name, cfg, c.Env, opt.Now)
		if err != nil {
			return nil, err
		}
		s.Register(FunctionName(st.Name), lambda.NewHandler(h))
	}

	def, err := statemachine.Substitute(statemachine.Scan, values)
	if err != nil {
		return nil, err
	}
	sm, err := c.SFN.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(MachineName), Definition: aws.String(def),
		RoleArn: aws.String("arn:aws:iam::" + Account + ":role/" + Prefix + "-states")})
	if err != nil {
		return nil, fmt.Errorf("state machine: %w", err)
	}
	e.StateMachineARN = aws.ToString(sm.StateMachineArn)
	values[contract.ScanStateMachinePlaceholder] = e.StateMachineARN
	values[contract.ResultsBucketPlaceholder] = Bucket
	bulkDef, err := statemachine.Substitute(statemachine.Bulk, values)
	if err != nil {
		return nil, err
	}
	bsm, err := c.SFN.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(BulkMachineName), Definition: aws.String(bulkDef),
		RoleArn: aws.String("arn:aws:iam::" + Account + ":role/" + Prefix + "-states")})
	if err != nil {
		return nil, fmt.Errorf("bulk state machine: %w", err)
	}
	e.BulkStateMachineARN = aws.ToString(bsm.StateMachineArn)

	eb := eventbridge.NewFromConfig(c.Config, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(s.Endpoint) })
	pattern, _ := json.Marshal(map[string]any{
		"source": []string{"aws.lambda"}, "detail-type": []string{"AWS API Call via CloudTrail"},
		"detail": map[string]any{"eventSource": []string{"lambda.amazonaws.com"}, "eventName": events.ScanEventNames(),
			"errorCode": []map[string]bool{{"exists": false}}},
	})
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(RuleName), EventPattern: aws.String(string(pattern))}); err != nil {
		return nil, fmt.Errorf("rule: %w", err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(RuleName),
		Targets: []ebtypes.Target{{Id: aws.String("scan-bridge"), Arn: aws.String(eventsARN)}}}); err != nil {
		return nil, fmt.Errorf("rule target: %w", err)
	}
	bctx, cancel := context.WithCancel(context.Background())
	e.stopBridge = cancel
	e.bridgeDone.Add(1)
	go e.bridge(bctx, sqsc)

	// The mirror runs once after deploy, through Lambda Invoke like the
	// stack's custom resource.
	out, err := c.Lambda.Invoke(ctx, &lambdasvc.InvokeInput{FunctionName: aws.String(FunctionName(contract.StepMirror)), Payload: []byte("{}")})
	if err != nil {
		return nil, fmt.Errorf("mirror: %w", err)
	}
	if out.FunctionError != nil {
		return nil, fmt.Errorf("mirror failed: %s", out.Payload)
	}
	return e, nil
}

func createQueue(ctx context.Context, c *sqs.Client, name string) (url, arn string, err error) {
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return "", "", err
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", "", err
	}
	return aws.ToString(q.QueueUrl), attrs.Attributes["QueueArn"], nil
}

// bridge stands in for the EventBridge → Step Functions target: each event
// the rule delivered starts an execution named after the event id.
func (e *Env) bridge(ctx context.Context, c *sqs.Client) {
	defer e.bridgeDone.Done()
	for ctx.Err() == nil {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.EventsQueue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			if ctx.Err() == nil {
				time.Sleep(100 * time.Millisecond)
			}
			continue
		}
		for _, m := range out.Messages {
			body := aws.ToString(m.Body)
			var ev struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal([]byte(body), &ev)
			if _, err := e.AWS.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(e.StateMachineARN),
				Name: aws.String(ExecutionName(ev.ID)), Input: aws.String(body)}); err != nil {
				e.mu.Lock()
				e.bridgeErr = err
				e.mu.Unlock()
				continue
			}
			c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(e.EventsQueue), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

// ExecutionName is the execution the bridge starts for an event id.
func ExecutionName(eventID string) string {
	sum := sha256.Sum256([]byte(eventID))
	return "evt-" + hex.EncodeToString(sum[:])[:24]
}

// Close stops the bridge and the OSV server (the stack is stopped by its owner).
func (e *Env) Close() {
	if e.stopBridge != nil {
		e.stopBridge()
		e.bridgeDone.Wait()
	}
	if e.osv != nil {
		e.osv.Close()
	}
	if e.registry != nil {
		e.registry.Close()
	}
	if e.Config.TmpDir != "" {
		os.RemoveAll(e.Config.TmpDir)
	}
}

func (e *Env) serveOSV(dir string) error {
	if dir == "" {
		return fmt.Errorf("localstack: no OSV folder to serve")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.osv = &http.Server{Handler: http.FileServer(http.Dir(dir))}
	go e.osv.Serve(ln)
	e.OSVURL = "http://" + ln.Addr().String()
	return nil
}

// CreateFunction uploads a zip and creates a function from it.
func (e *Env) CreateFunction(ctx context.Context, name, zipPath, runtime string, layers []string, tags map[string]string) (string, error) {
	key, err := e.upload(ctx, zipPath)
	if err != nil {
		return "", err
	}
	out, err := e.AWS.Lambda.CreateFunction(ctx, &lambdasvc.CreateFunctionInput{
		FunctionName: aws.String(name), Runtime: lambdatypes.Runtime(runtime), Handler: aws.String("index.handler"),
		Role: aws.String("arn:aws:iam::" + e.Account + ":role/" + FunctionRole), Layers: layers, Tags: tags,
		Code: &lambdatypes.FunctionCode{S3Bucket: aws.String(CodeBucket), S3Key: aws.String(key)},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.FunctionArn), nil
}

// UpdateCode deploys a new zip to a function.
func (e *Env) UpdateCode(ctx context.Context, name, zipPath string) error {
	key, err := e.upload(ctx, zipPath)
	if err != nil {
		return err
	}
	_, err = e.AWS.Lambda.UpdateFunctionCode(ctx, &lambdasvc.UpdateFunctionCodeInput{FunctionName: aws.String(name), S3Bucket: aws.String(CodeBucket), S3Key: aws.String(key)})
	return err
}

// SetLayers changes only the function's layers (CodeSha256 stays).
func (e *Env) SetLayers(ctx context.Context, name string, layers []string) error {
	_, err := e.AWS.Lambda.UpdateFunctionConfiguration(ctx, &lambdasvc.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Layers: layers})
	return err
}

// PublishLayer publishes a layer version from a zip and returns its ARN.
func (e *Env) PublishLayer(ctx context.Context, name, zipPath string) (string, error) {
	key, err := e.upload(ctx, zipPath)
	if err != nil {
		return "", err
	}
	out, err := e.AWS.Lambda.PublishLayerVersion(ctx, &lambdasvc.PublishLayerVersionInput{LayerName: aws.String(name),
		Content: &lambdatypes.LayerVersionContentInput{S3Bucket: aws.String(CodeBucket), S3Key: aws.String(key)}})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.LayerVersionArn), nil
}

func (e *Env) upload(ctx context.Context, path string) (string, error) {
	body, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(body)
	key := "code/" + hex.EncodeToString(sum[:]) + ".zip"
	_, err = e.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(CodeBucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	return key, err
}

// Emit sends a CloudTrail-shaped Lambda API event through EventBridge and
// returns the execution the rule and bridge start for it (if it matches).
func (e *Env) Emit(ctx context.Context, eventName, functionRef string, errorCode string) (string, error) {
	detail := map[string]any{
		"eventVersion": "1.09", "eventSource": "lambda.amazonaws.com", "eventName": eventName, "awsRegion": Region,
		"eventID": fmt.Sprintf("local-%d", time.Now().UnixNano()), "recipientAccountId": Account, "eventType": "AwsApiCall",
		"requestParameters": map[string]any{"functionName": functionRef},
		"responseElements":  map[string]any{"functionArn": functionRef},
	}
	if errorCode != "" {
		detail["errorCode"] = errorCode
		detail["responseElements"] = nil
	}
	body, _ := json.Marshal(detail)
	eb := eventbridge.NewFromConfig(e.AWS.Config, func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(e.Stack.Endpoint) })
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String("aws.lambda"), DetailType: aws.String("AWS API Call via CloudTrail"), Detail: aws.String(string(body)),
	}}})
	if err != nil {
		return "", err
	}
	if len(out.Entries) == 0 || out.Entries[0].EventId == nil {
		return "", fmt.Errorf("PutEvents: no event id")
	}
	return fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", Region, Account, MachineName, ExecutionName(aws.ToString(out.Entries[0].EventId))), nil
}

// Start starts an execution directly (console, replay) and returns its ARN.
func (e *Env) Start(ctx context.Context, name, input string) (string, error) {
	out, err := e.AWS.SFN.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(e.StateMachineARN), Name: aws.String(name), Input: aws.String(input)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ExecutionArn), nil
}

// Wait polls an execution until it leaves RUNNING (it may not exist yet:
// the bridge starts it asynchronously).
func (e *Env) Wait(ctx context.Context, executionARN string, timeout time.Duration) (*sfn.DescribeExecutionOutput, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		out, err := e.AWS.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionARN)})
		if err == nil && out.Status != sfntypes.ExecutionStatusRunning {
			return out, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.mu.Lock()
	berr := e.bridgeErr
	e.mu.Unlock()
	return nil, fmt.Errorf("execution %s did not finish in %s (bridge error: %v)", executionARN, timeout, berr)
}

// InAccount returns an Env acting as another account of the local stack
// (through STS, as a member account's own deployment pipeline would).
func (e *Env) InAccount(ctx context.Context, account string) (*Env, error) {
	creds, err := e.AWS.STS.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/deployer"), RoleSessionName: aws.String("local"),
	})
	if err != nil {
		return nil, err
	}
	cfg := e.AWS.Config.Copy()
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: aws.ToString(creds.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(creds.Credentials.SecretAccessKey),
			SessionToken: aws.ToString(creds.Credentials.SessionToken)}, nil
	})
	return &Env{Stack: e.Stack, AWS: NewClients(cfg, e.Stack.Endpoint), Account: account, RegistryHost: e.RegistryHost}, nil
}
