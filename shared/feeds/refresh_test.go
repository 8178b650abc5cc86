package feeds

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRefreshKeepsPreviousDataOfAFailingFeed(t *testing.T) {
	var kevDown atomic.Bool
	nvd := &fakeNVD{}
	nvd.recs = append(nvd.recs, struct{ id, mod string }{"CVE-2020-0001", "2025-01-01T00:00:00.000"})
	mux := http.NewServeMux()
	mux.Handle("/nvd", nvd)
	mux.HandleFunc("/kev.json", func(w http.ResponseWriter, r *http.Request) {
		if kevDown.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		http.ServeFile(w, r, testFeeds+"/kev/known_exploited_vulnerabilities.json")
	})
	mux.HandleFunc("/epss.csv", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, testFeeds+"/epss/epss_scores-2026-11-01.csv")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	remote := Remote{NVD: &NVDClient{BaseURL: srv.URL + "/nvd", HTTP: srv.Client(), Delay: time.Nanosecond, Backoff: time.Nanosecond},
		KEVURL: srv.URL + "/kev.json", EPSSURL: srv.URL + "/epss.csv", HTTP: srv.Client()}
	st := NewState()
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	if failed := Refresh(context.Background(), st, remote, now); len(failed) != 0 {
		t.Fatalf("first refresh failed: %v", failed)
	}
	if len(st.Set.NVD) != 1 || len(st.Set.KEV) != 2 || len(st.Set.EPSS) != 2 {
		t.Fatalf("first refresh: %d/%d/%d", len(st.Set.NVD), len(st.Set.KEV), len(st.Set.EPSS))
	}

	// Round trip through the stored form, as between mirror runs.
	b, err := st.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	st, err = DecodeState(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}

	kevDown.Store(true)
	failed := Refresh(context.Background(), st, remote, now.Add(24*time.Hour))
	if fmt.Sprint(failed) != "[kev]" {
		t.Fatalf("failed %v, want [kev]", failed)
	}
	if len(st.Set.KEV) != 2 || st.Set.Info[KEV].Error == "" || st.Set.Info[KEV].Count != 2 {
		t.Fatalf("KEV after a failure: %d entries, info %+v", len(st.Set.KEV), st.Set.Info[KEV])
	}
	if st.Set.Info[NVD].Error != "" || st.Set.Info[EPSS].Error != "" {
		t.Fatalf("healthy feeds marked failed: %+v", st.Set.Info)
	}

	// Recovery clears the error.
	kevDown.Store(false)
	if failed := Refresh(context.Background(), st, remote, now.Add(48*time.Hour)); len(failed) != 0 || st.Set.Info[KEV].Error != "" {
		t.Fatalf("after recovery: failed %v, info %+v", failed, st.Set.Info[KEV])
	}
}

func TestRefreshSkipsUnconfiguredFeeds(t *testing.T) {
	st := NewState()
	if failed := Refresh(context.Background(), st, Remote{}, time.Now()); len(failed) != 0 || !st.Set.Empty() {
		t.Fatalf("nothing configured: failed %v, info %+v", failed, st.Set.Info)
	}
}

func TestDecodeStateRejectsGarbage(t *testing.T) {
	if _, err := DecodeState(bytes.NewReader([]byte("{}"))); err == nil {
		t.Fatal("plain JSON accepted as a gzip state")
	}
}
