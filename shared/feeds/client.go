package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/lambdascan/lambdascan/shared/config"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxWindow is the longest lastModStartDate..lastModEndDate range NVD
// accepts.
const MaxWindow = 120 * 24 * time.Hour

// NVD's published rate limits: 5 requests in a rolling 30 s window without
// an API key, 50 with one; NVD asks clients to sleep 6 s between requests.
const (
	NVDDelayNoKey = 6 * time.Second
	NVDDelayKey   = 600 * time.Millisecond
)

// NVDClient pages through the NVD CVE API 2.0.
type NVDClient struct {
	BaseURL string // config.DefaultNVDURL when empty
	APIKey  string // sent as the apiKey header when set
	HTTP    *http.Client
	// Delay between requests; zero picks NVD's rate for the key (or its
	// absence). Tests set a tiny value.
	Delay time.Duration
	// Backoff before retrying a throttled (403, 429) or failed (5xx)
	// request; zero means 30 s. Three retries per request.
	Backoff  time.Duration
	PageSize int // resultsPerPage; 2000 (NVD's maximum) when zero
	// MaxRequests bounds one Sync (a Lambda run is 15 minutes at most); the
	// state says where the next Sync resumes. Zero: no bound.
	MaxRequests int
}

// NVDState is where the incremental NVD sync stands; the mirror keeps it
// with the feed data between runs.
type NVDState struct {
	// Through: every change NVD published up to this time is in the set.
	Through time.Time `json:"through,omitempty"`
	// An unfinished window (or, before the first complete load, the whole
	// database: Full) and the startIndex to fetch next.
	Pending *NVDCursor `json:"pending,omitempty"`
}

// NVDCursor is one window being paged through.
type NVDCursor struct {
	Full  bool      `json:"full,omitempty"`
	Start time.Time `json:"start,omitempty"`
	End   time.Time `json:"end"`
	Next  int       `json:"next"`
}

// Sync fetches what NVD changed since st.Through, in windows of at most
// 120 days paged by startIndex, merging each page into set as it arrives.
// It reports whether it caught up with now; false means MaxRequests ran
// out and st says where to resume.
func (c *NVDClient) Sync(ctx context.Context, set *Set, st *NVDState, now time.Time) (bool, error) {
	requests := 0
	for {
		if st.Pending == nil {
			switch {
			case st.Through.IsZero():
				st.Pending = &NVDCursor{Full: true, End: now}
			case now.Sub(st.Through) < time.Minute:
				return true, nil
			default:
				end := st.Through.Add(MaxWindow)
				if end.After(now) {
					end = now
				}
				st.Pending = &NVDCursor{Start: st.Through, End: end}
			}
		}
		if c.MaxRequests > 0 && requests >= c.MaxRequests {
			return false, nil
		}
		if requests > 0 {
			if err := sleep(ctx, c.delay()); err != nil {
				return false, err
			}
		}
		requests++
		pg, err := c.page(ctx, st.Pending)
		if err != nil {
			return false, err
		}
		set.AddNVD(pg.Records, pg.Timestamp, c.base())
		cur := st.Pending
		if len(pg.Records) == 0 && cur.Next < pg.TotalResults {
			return false, fmt.Errorf("%w: NVD page at startIndex %d is empty, %d results announced", ErrBadFeed, cur.Next, pg.TotalResults)
		}
		cur.Next += len(pg.Records)
		if cur.Next >= pg.TotalResults {
			st.Through, st.Pending = cur.End, nil
		}
	}
}

func (c *NVDClient) base() string {
	if c.BaseURL != "" {
		return c.BaseURL
	}
	return config.DefaultNVDURL
}

func (c *NVDClient) delay() time.Duration {
	switch {
	case c.Delay > 0:
		return c.Delay
	case c.APIKey != "":
		return NVDDelayKey
	}
	return NVDDelayNoKey
}

// nvdTime is the date format NVD's lastMod parameters take.
const nvdTime = "2006-01-02T15:04:05.000-07:00"

func (c *NVDClient) page(ctx context.Context, cur *NVDCursor) (Page, error) {
	u, err := url.Parse(c.base())
	if err != nil {
		return Page{}, fmt.Errorf("NVD URL: %w", err)
	}
	size := c.PageSize
	if size <= 0 {
		size = 2000
	}
	q := u.Query()
	q.Set("startIndex", strconv.Itoa(cur.Next))
	q.Set("resultsPerPage", strconv.Itoa(size))
	if !cur.Full {
		q.Set("lastModStartDate", cur.Start.UTC().Format(nvdTime))
		q.Set("lastModEndDate", cur.End.UTC().Format(nvdTime))
	}
	u.RawQuery = q.Encode()
	backoff := c.Backoff
	if backoff <= 0 {
		backoff = 30 * time.Second
	}
	for attempt := 0; ; attempt++ {
		body, status, err := get(ctx, c.HTTP, u.String(), c.APIKey, 256<<20)
		retry := err != nil || status == http.StatusForbidden || status == http.StatusTooManyRequests || status >= 500
		if !retry && status != http.StatusOK {
			return Page{}, fmt.Errorf("NVD %s: HTTP %d", u.Redacted(), status)
		}
		if !retry {
			return ParseNVDPage(bytes.NewReader(body))
		}
		if attempt == 3 {
			if err == nil {
				err = fmt.Errorf("HTTP %d", status)
			}
			return Page{}, fmt.Errorf("NVD %s: %w", u.Redacted(), err)
		}
		if err := sleep(ctx, backoff); err != nil {
			return Page{}, err
		}
	}
}

// FetchKEV downloads and parses the KEV catalog.
func FetchKEV(ctx context.Context, hc *http.Client, u string) (Catalog, error) {
	body, err := Get(ctx, hc, u, 256<<20)
	if err != nil {
		return Catalog{}, err
	}
	return ParseKEV(bytes.NewReader(body))
}

// FetchEPSS downloads and parses an EPSS csv or csv.gz.
func FetchEPSS(ctx context.Context, hc *http.Client, u string) (Scores, error) {
	body, err := Get(ctx, hc, u, 256<<20)
	if err != nil {
		return Scores{}, err
	}
	return ParseEPSS(bytes.NewReader(body))
}

// ErrTooLarge means a feed download passed its size limit.
var ErrTooLarge = errors.New("feed larger than its limit")

// Get downloads u (at most max bytes); anything but 200 is an error.
func Get(ctx context.Context, hc *http.Client, u string, max int64) ([]byte, error) {
	body, status, err := get(ctx, hc, u, "", max)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", u, status)
	}
	return body, nil
}

func get(ctx context.Context, hc *http.Client, u, apiKey string, max int64) ([]byte, int, error) {
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	if apiKey != "" {
		req.Header.Set("apiKey", apiKey)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(body)) > max {
		return nil, resp.StatusCode, fmt.Errorf("GET %s: %w (%d bytes)", u, ErrTooLarge, max)
	}
	return body, resp.StatusCode, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
