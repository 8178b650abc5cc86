package feeds

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeNVD answers like the CVE API 2.0: lastMod windows (rejecting ones
// over 120 days, as NVD does), startIndex paging, an apiKey header check
// and one 429 to throttle.
type fakeNVD struct {
	mu       sync.Mutex
	recs     []struct{ id, mod string } // sorted by id
	key      string
	throttle bool
	calls    []string
}

func (f *fakeNVD) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.URL.RawQuery)
	if f.key != "" && r.Header.Get("apiKey") != f.key {
		http.Error(w, "bad key", http.StatusNotFound)
		return
	}
	if f.throttle {
		f.throttle = false
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return
	}
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("startIndex"))
	per, _ := strconv.Atoi(q.Get("resultsPerPage"))
	var lo, hi time.Time
	if s := q.Get("lastModStartDate"); s != "" {
		var err1, err2 error
		lo, err1 = time.Parse(nvdTime, s)
		hi, err2 = time.Parse(nvdTime, q.Get("lastModEndDate"))
		if err1 != nil || err2 != nil || hi.Sub(lo) > MaxWindow {
			http.Error(w, "bad window", http.StatusNotFound)
			return
		}
	}
	var sel []map[string]any
	for _, rec := range f.recs {
		m, _ := time.Parse("2006-01-02T15:04:05.000", rec.mod)
		if !lo.IsZero() && (m.Before(lo) || m.After(hi)) {
			continue
		}
		sel = append(sel, map[string]any{"cve": map[string]any{"id": rec.id, "sourceIdentifier": "cna@example.org", "lastModified": rec.mod,
			"metrics": map[string]any{"cvssMetricV31": []any{map[string]any{"source": "nvd@nist.gov", "type": "Primary",
				"cvssData": map[string]any{"version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "baseScore": 9.8}}}}}})
	}
	page := []map[string]any{}
	if start < len(sel) {
		page = sel[start:min(start+per, len(sel))]
	}
	json.NewEncoder(w).Encode(map[string]any{"resultsPerPage": len(page), "startIndex": start, "totalResults": len(sel),
		"format": "NVD_CVE", "version": "2.0", "timestamp": "2026-11-29T00:00:00.000", "vulnerabilities": page})
}

func TestNVDSyncFullThenIncremental(t *testing.T) {
	f := &fakeNVD{key: "k-123", throttle: true}
	for i := 0; i < 5; i++ {
		f.recs = append(f.recs, struct{ id, mod string }{fmt.Sprintf("CVE-2020-%04d", i), "2025-01-01T00:00:00.000"})
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := &NVDClient{BaseURL: srv.URL, APIKey: "k-123", HTTP: srv.Client(), Delay: time.Nanosecond, Backoff: time.Nanosecond, PageSize: 2}
	set, st := NewSet(), &NVDState{}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	done, err := c.Sync(context.Background(), set, st, now)
	if err != nil || !done {
		t.Fatalf("full load: done %v, %v", done, err)
	}
	// 1 throttled + 3 pages of 2.
	if len(set.NVD) != 5 || len(f.calls) != 4 || !st.Through.Equal(now) || st.Pending != nil {
		t.Fatalf("full load: %d records, %d calls, state %+v", len(set.NVD), len(f.calls), st)
	}

	// A year later, one record changed: windows of ≤ 120 days cover the year.
	f.recs[3].mod = "2026-03-01T00:00:00.000"
	f.calls = nil
	later := now.Add(365 * 24 * time.Hour)
	done, err = c.Sync(context.Background(), set, st, later)
	if err != nil || !done {
		t.Fatalf("incremental: done %v, %v", done, err)
	}
	if len(f.calls) != 4 || set.NVD["CVE-2020-0003"].LastModified != "2026-03-01T00:00:00.000" || !st.Through.Equal(later) {
		t.Fatalf("incremental: calls %v, record %+v, state %+v", f.calls, set.NVD["CVE-2020-0003"], st)
	}
}

func TestNVDSyncResumesAfterBudget(t *testing.T) {
	f := &fakeNVD{}
	for i := 0; i < 5; i++ {
		f.recs = append(f.recs, struct{ id, mod string }{fmt.Sprintf("CVE-2021-%04d", i), "2025-01-01T00:00:00.000"})
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := &NVDClient{BaseURL: srv.URL, HTTP: srv.Client(), Delay: time.Nanosecond, PageSize: 2, MaxRequests: 2}
	set, st := NewSet(), &NVDState{}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	done, err := c.Sync(context.Background(), set, st, now)
	if err != nil || done || st.Pending == nil || st.Pending.Next != 4 || len(set.NVD) != 4 {
		t.Fatalf("first run: done %v err %v state %+v records %d", done, err, st.Pending, len(set.NVD))
	}
	done, err = c.Sync(context.Background(), set, st, now.Add(time.Hour))
	if err != nil || !done || len(set.NVD) != 5 || !st.Through.Equal(now.Add(time.Hour)) {
		t.Fatalf("second run: done %v err %v state %+v records %d", done, err, st, len(set.NVD))
	}
}

func TestNVDSyncFailsOnPersistentError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c := &NVDClient{BaseURL: srv.URL, HTTP: srv.Client(), Delay: time.Nanosecond, Backoff: time.Nanosecond}
	set, st := NewSet(), &NVDState{}
	if _, err := c.Sync(context.Background(), set, st, time.Now()); err == nil {
		t.Fatal("no error from a failing NVD")
	}
	if len(set.NVD) != 0 || !st.Through.IsZero() {
		t.Fatalf("state moved on failure: %+v", st)
	}
}

func TestFetchKEVAndEPSS(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/kev.json", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, testFeeds+"/kev/known_exploited_vulnerabilities.json")
	})
	mux.HandleFunc("/epss.csv", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, testFeeds+"/epss/epss_scores-2026-11-01.csv")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	c, err := FetchKEV(ctx, srv.Client(), srv.URL+"/kev.json")
	if err != nil || len(c.Entries) != 2 {
		t.Fatalf("KEV: %d entries, %v", len(c.Entries), err)
	}
	s, err := FetchEPSS(ctx, srv.Client(), srv.URL+"/epss.csv")
	if err != nil || len(s.Scores) != 2 || s.Date != "2026-11-01" {
		t.Fatalf("EPSS: %+v, %v", s, err)
	}
	if _, err := FetchKEV(ctx, srv.Client(), srv.URL+"/missing"); err == nil {
		t.Fatal("a 404 KEV URL gave no error")
	}
}
