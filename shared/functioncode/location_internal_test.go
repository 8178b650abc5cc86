package functioncode

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/lambdascan/lambdascan/shared/contract"
	"github.com/lambdascan/lambdascan/shared/report/schema"
)

func TestLocationRefused(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	v4 := func(signed time.Time, secs string) string {
		return "https://b.s3.amazonaws.com/k.zip?X-Amz-Date=" + signed.Format("20060102T150405Z") + "&X-Amz-Expires=" + secs + "&X-Amz-Signature=s"
	}
	for _, tc := range []struct {
		name     string
		status   int
		location string
		want     schema.ErrorName
	}{
		{"v4 expired", 403, v4(now.Add(-11*time.Minute), "600"), schema.ErrCodeLocationExpired},
		{"v4 expired at the second", 403, v4(now.Add(-10*time.Minute), "600"), schema.ErrCodeLocationExpired},
		{"v4 valid, denied", 403, v4(now.Add(-time.Minute), "600"), schema.ErrCodeLocationDenied},
		{"v4 valid, gone", 404, v4(now.Add(-time.Minute), "600"), schema.ErrCodeLocationDenied},
		{"v2 expired", 403, "http://127.0.0.1/b/k.zip?AWSAccessKeyId=a&Signature=s&Expires=" + "1795000000", schema.ErrCodeLocationExpired},
		{"unsigned, denied", 403, "https://b.s3.amazonaws.com/k.zip", schema.ErrCodeLocationDenied},
		{"bad request, valid", 400, v4(now, "600"), schema.ErrCodeUnavailable},
		{"gone after expiry is still gone", 404, v4(now.Add(-time.Hour), "600"), schema.ErrCodeLocationDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.location)
			if err != nil {
				t.Fatal(err)
			}
			var sf *contract.ScanFailed
			if err := locationRefused(tc.status, u, now); !errors.As(err, &sf) || sf.Name != tc.want {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
		})
	}
}
