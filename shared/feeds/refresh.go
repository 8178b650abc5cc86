package feeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// State is what the mirror keeps between runs: the feeds' data and where
// the NVD sync stands.
type State struct {
	Set *Set     `json:"set"`
	NVD NVDState `json:"nvdState"`
}

// NewState returns an empty state.
func NewState() *State { return &State{Set: NewSet()} }

// Remote says where the mirror fetches each feed; a nil NVD or an empty
// URL leaves that feed out (its previous data, if any, stays).
type Remote struct {
	NVD     *NVDClient
	KEVURL  string
	EPSSURL string
	HTTP    *http.Client
}

// Refresh brings every configured feed up to date. A feed that fails keeps
// its previous data and records the error in st.Set.Info (the index header
// shows it); Refresh returns the names of the failed feeds.
func Refresh(ctx context.Context, st *State, r Remote, now time.Time) []string {
	if st.Set == nil {
		st.Set = NewSet()
	}
	var failed []string
	fail := func(feed string, err error) {
		st.Set.Failed(feed, err)
		failed = append(failed, feed)
	}
	if r.NVD != nil {
		done, err := r.NVD.Sync(ctx, st.Set, &st.NVD, now)
		switch {
		case err != nil:
			fail(NVD, err)
		default:
			in := st.Set.Info[NVD]
			// Caught up or not (a first full load spans several runs), the
			// header says so.
			in.Partial = !done
			in.Error = ""
			in.Source = r.NVD.base()
			st.Set.Info[NVD] = in
		}
	}
	if r.KEVURL != "" {
		if c, err := FetchKEV(ctx, r.HTTP, r.KEVURL); err != nil {
			fail(KEV, err)
		} else {
			st.Set.SetKEV(c, r.KEVURL)
		}
	}
	if r.EPSSURL != "" {
		if s, err := FetchEPSS(ctx, r.HTTP, r.EPSSURL); err != nil {
			fail(EPSS, err)
		} else {
			st.Set.SetEPSS(s, r.EPSSURL)
		}
	}
	return failed
}

// Encode writes the state as gzip-compressed JSON.
func (st *State) Encode(w io.Writer) error {
	zw := gzip.NewWriter(w)
	if err := json.NewEncoder(zw).Encode(st); err != nil {
		return err
	}
	return zw.Close()
}

// DecodeState reads what Encode wrote.
func DecodeState(r io.Reader) (*State, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: feed state: %v", ErrBadFeed, err)
	}
	defer zr.Close()
	st := NewState()
	if err := json.NewDecoder(zr).Decode(st); err != nil {
		return nil, fmt.Errorf("%w: feed state: %v", ErrBadFeed, err)
	}
	// Feeds never fetched decode as nil maps; the merges need them made.
	fresh := NewSet()
	if st.Set == nil {
		st.Set = fresh
	}
	if st.Set.NVD == nil {
		st.Set.NVD = fresh.NVD
	}
	if st.Set.KEV == nil {
		st.Set.KEV = fresh.KEV
	}
	if st.Set.EPSS == nil {
		st.Set.EPSS = fresh.EPSS
	}
	if st.Set.Info == nil {
		st.Set.Info = fresh.Info
	}
	return st, nil
}

// Bytes is Encode into memory.
func (st *State) Bytes() ([]byte, error) {
	var b bytes.Buffer
	err := st.Encode(&b)
	return b.Bytes(), err
}
