// Package steptest holds what the step handlers' unit tests share: the
// captured state payloads in internal/step/testdata/states, and fakes of
// the AWS SDK clients at the interfaces the handlers take (S3, DynamoDB),
// which keep objects and items the way the services do.
package steptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Dir is internal/step/testdata.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// State reads testdata/states/<name>.json.
func State(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), "states", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Decode reads testdata/states/<name>.json into v, strictly: a payload
// field the contract does not know fails the test.
func Decode(t testing.TB, name string, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(State(t, name)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// S3 keeps objects in memory.
type S3 struct {
	mu      sync.Mutex
	Objects map[string][]byte // bucket/key
	Puts    []string          // bucket/key of every PutObject, in order
}

func notFound(code string) error { return &smithy.GenericAPIError{Code: code, Message: "not found"} }

// GetObject implements awsclient.S3API.
func (s *S3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.Objects[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)]
	if !ok {
		return nil, notFound("NoSuchKey")
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b)), ContentLength: aws.Int64(int64(len(b)))}, nil
}

// HeadObject implements awsclient.S3API.
func (s *S3) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.Objects[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)]
	if !ok {
		return nil, notFound("NotFound")
	}
	return &s3.HeadObjectOutput{ContentLength: aws.Int64(int64(len(b)))}, nil
}

// PutObject implements awsclient.S3API.
func (s *S3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Objects == nil {
		s.Objects = map[string][]byte{}
	}
	k := aws.ToString(in.Bucket) + "/" + aws.ToString(in.Key)
	s.Objects[k] = b
	s.Puts = append(s.Puts, k)
	return &s3.PutObjectOutput{}, nil
}

// Put stores an object.
func (s *S3) Put(bucket, key string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Objects == nil {
		s.Objects = map[string][]byte{}
	}
	s.Objects[bucket+"/"+key] = body
}

// Keys lists the stored keys of bucket, sorted.
func (s *S3) Keys(bucket string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.Objects {
		if b, key, ok := cut(k); ok && b == bucket {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

func cut(k string) (string, string, bool) {
	for i := range k {
		if k[i] == '/' {
			return k[:i], k[i+1:], true
		}
	}
	return "", "", false
}

// DynamoDB keeps one table's items in memory, keyed by "pk".
type DynamoDB struct {
	mu    sync.Mutex
	Items map[string]map[string]ddbtypes.AttributeValue
}

func pk(key map[string]ddbtypes.AttributeValue) string {
	if v, ok := key["pk"].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// GetItem implements cache.DynamoDB.
func (d *DynamoDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return &dynamodb.GetItemOutput{Item: d.Items[pk(in.Key)]}, nil
}

// PutItem implements cache.DynamoDB (condition expressions are not
// evaluated: the handlers' tests do not race).
func (d *DynamoDB) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Items == nil {
		d.Items = map[string]map[string]ddbtypes.AttributeValue{}
	}
	d.Items[pk(in.Item)] = in.Item
	return &dynamodb.PutItemOutput{}, nil
}

// BatchGetItem implements cache.DynamoDB.
func (d *DynamoDB) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]ddbtypes.AttributeValue{}}
	for table, ka := range in.RequestItems {
		for _, k := range ka.Keys {
			if it, ok := d.Items[pk(k)]; ok {
				out.Responses[table] = append(out.Responses[table], it)
			}
		}
	}
	return out, nil
}
