// Package bulk enumerates the functions a bulk scan covers (accounts,
// regions, exclusions), paced below Lambda's control-plane limits, and
// summarizes a finished run.
package bulk

import (
	"github.com/lambdascan/lambdascan/shared/contract"

	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Lambda's control plane allows 15 requests per second per account and
// region for everything but GetFunction (100 rps), shared with the
// customer's own tooling. A bulk run stays well below.
const DefaultControlPlaneRPS = 5

// Limiters paces calls per account and region.
type Limiters struct {
	RPS   float64
	Burst int
	// Shared, when set, also paces against the bucket every concurrent
	// scan step draws from.
	Shared interface {
		Wait(ctx context.Context, account, region string) error
	}

	mu    sync.Mutex
	m     map[string]*rate.Limiter
	calls map[string]int
	first map[string]time.Time
	last  map[string]time.Time
}

// Wait blocks until a call to account/region is allowed.
func (l *Limiters) Wait(ctx context.Context, account, region string) error {
	key := account + "/" + region
	l.mu.Lock()
	if l.m == nil {
		l.m, l.calls, l.first, l.last = map[string]*rate.Limiter{}, map[string]int{}, map[string]time.Time{}, map[string]time.Time{}
	}
	lim, ok := l.m[key]
	if !ok {
		rps, burst := l.RPS, l.Burst
		if rps <= 0 {
			rps = DefaultControlPlaneRPS
		}
		if burst <= 0 {
			burst = 1
		}
		lim = rate.NewLimiter(rate.Limit(rps), burst)
		l.m[key] = lim
	}
	l.mu.Unlock()
	if err := lim.Wait(ctx); err != nil {
		return err
	}
	if l.Shared != nil {
		if err := l.Shared.Wait(ctx, account, region); err != nil {
			return err
		}
	}
	now := time.Now()
	l.mu.Lock()
	if l.calls[key] == 0 {
		l.first[key] = now
	}
	l.calls[key]++
	l.last[key] = now
	l.mu.Unlock()
	return nil
}

// Rate is a measured call rate for one account/region.
type Rate = contract.BulkRate

// Rates reports what was achieved per account/region.
func (l *Limiters) Rates() []Rate {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Rate
	for k, n := range l.calls {
		r := Rate{Key: k, Calls: n}
		if d := l.last[k].Sub(l.first[k]).Seconds(); n > 1 && d > 0 {
			r.RPS = float64(n-1) / d
		}
		out = append(out, r)
	}
	return out
}
