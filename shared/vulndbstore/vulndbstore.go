// Package vulndbstore keeps the vuln index in the stack's bucket: the mirror
// publishes a new version and moves the pointer; the scan step downloads the
// current one into /tmp once per container and revalidates it by ETag.
package vulndbstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lambdascan/lambdascan/shared/awsclient"
	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/vulndb"
)

// ErrNoDB means the mirror has not published an index yet.
var ErrNoDB = errors.New("no vulnerability database published yet")

// Store reads and writes the index in S3.
type Store struct {
	S3     awsclient.S3API
	Bucket string
	TmpDir string

	mu     sync.Mutex
	cached *vulndb.DB
	etag   string
	key    string
}

// Current reads the pointer to the current index.
func (s *Store) Current(ctx context.Context) (contract.VulnDBPointerDoc, error) {
	var doc contract.VulnDBPointerDoc
	out, err := s.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.Bucket, Key: aws.String(contract.VulnDBPointer)})
	if err != nil {
		if awsclient.IsNotFound(err) {
			return doc, ErrNoDB
		}
		return doc, awsclient.Classify("read vuln DB pointer", err)
	}
	defer out.Body.Close()
	if err := json.NewDecoder(io.LimitReader(out.Body, 1<<20)).Decode(&doc); err != nil {
		return doc, fmt.Errorf("vuln DB pointer: %w", err)
	}
	return doc, nil
}

// Publish uploads an index file and points current.json at it.
func (s *Store) Publish(ctx context.Context, path string, info vulndb.Info) (contract.VulnDBPointerDoc, error) {
	f, err := os.Open(path)
	if err != nil {
		return contract.VulnDBPointerDoc{}, err
	}
	defer f.Close()
	key := contract.VulnDBPrefix + info.Version + ".lsdb"
	if _, err := s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.Bucket, Key: &key, Body: f}); err != nil {
		return contract.VulnDBPointerDoc{}, awsclient.Classify("upload vuln DB", err)
	}
	doc := contract.VulnDBPointerDoc{Key: key, Version: info.Version, BuiltAt: info.BuiltAt}
	body, _ := json.Marshal(doc)
	if _, err := s.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.Bucket, Key: aws.String(contract.VulnDBPointer),
		Body: bytes.NewReader(body), ContentType: aws.String("application/json")}); err != nil {
		return contract.VulnDBPointerDoc{}, awsclient.Classify("move vuln DB pointer", err)
	}
	return doc, nil
}

// Open returns the current index, downloading it only when the pointer or
// the object's ETag changed since this container last fetched it.
func (s *Store) Open(ctx context.Context) (*vulndb.DB, error) {
	doc, err := s.Current(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := &s3.GetObjectInput{Bucket: &s.Bucket, Key: &doc.Key}
	if s.cached != nil && s.key == doc.Key {
		in.IfNoneMatch = aws.String(s.etag)
	}
	out, err := s.S3.GetObject(ctx, in)
	if err != nil {
		if s.cached != nil && isNotModified(err) {
			return s.cached, nil
		}
		return nil, awsclient.Classify("download vuln DB", err)
	}
	defer out.Body.Close()
	path := filepath.Join(s.TmpDir, "lambdascan-vulndb.lsdb")
	tmp := path + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, out.Body); err != nil {
		f.Close()
		return nil, awsclient.Classify("download vuln DB", err)
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	// The previous index is not closed: a handler still scanning with it in
	// another goroutine (the local stack runs handlers concurrently) keeps a
	// valid file; its descriptor goes with the container. Renaming over the
	// path leaves an open descriptor valid on Linux.
	s.cached = nil
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	db, err := vulndb.Open(path)
	if err != nil {
		return nil, err
	}
	s.cached, s.etag, s.key = db, aws.ToString(out.ETag), doc.Key
	return db, nil
}

func isNotModified(err error) bool {
	var re interface{ HTTPStatusCode() int }
	return errors.As(err, &re) && re.HTTPStatusCode() == 304
}
