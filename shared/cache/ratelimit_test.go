package cache

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRefill(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		name   string
		tokens float64
		last   time.Time
		want   float64
	}{
		{"empty, a tenth of a second later", 0, now.Add(-100 * time.Millisecond), 1},
		{"empty, just now", 0, now, 0},
		{"capped at the burst", 0.5, now.Add(-time.Hour), 1},
		{"a writer's clock 31 days ahead does not stall the bucket", 0, now.Add(31 * 24 * time.Hour), 1},
		{"negative stored tokens count as empty", -3, now.Add(-50 * time.Millisecond), 0.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, tc.want, refill(tc.tokens, tc.last, now, 10, 1), 1e-9)
		})
	}
}
