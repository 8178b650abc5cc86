package bulk

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Concurrent callers share one pace per account/region.
func TestLimiterHoldsTheRate(t *testing.T) {
	l := &Limiters{RPS: 50, Burst: 1}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				require.NoError(t, l.Wait(context.Background(), "111111111111", "eu-west-1"))
			}
		}()
	}
	require.NoError(t, l.Wait(context.Background(), "222222222222", "eu-west-1"))
	wg.Wait()
	rates := map[string]Rate{}
	for _, r := range l.Rates() {
		rates[r.Key] = r
	}
	r := rates["111111111111/eu-west-1"]
	assert.Equal(t, 40, r.Calls)
	assert.LessOrEqual(t, r.RPS, 50*1.1, "measured %.1f rps", r.RPS)
	assert.Equal(t, 1, rates["222222222222/eu-west-1"].Calls, "another account has its own budget")
}

func TestLimiterStopsWithTheContext(t *testing.T) {
	l := &Limiters{RPS: 0.001, Burst: 1}
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, l.Wait(ctx, "a", "r")) // the burst
	cancel()
	assert.Error(t, l.Wait(ctx, "a", "r"))
}
