package stdio

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	b := backoff{opt: Options{}.withDefaults().Restart}
	ms := time.Millisecond
	for i, step := range []struct {
		uptime, want time.Duration
	}{
		{0, 100 * ms},
		{time.Second, 200 * ms},
		{0, 400 * ms},
		{0, 800 * ms},
		{0, 1600 * ms},
		{0, 3200 * ms},
		{0, 6400 * ms},
		{0, 12800 * ms},
		{0, 25600 * ms},
		{0, 30 * time.Second}, // capped
		{29 * time.Second, 30 * time.Second},
		{30 * time.Second, 100 * ms}, // it ran long enough: reset
		{0, 200 * ms},
	} {
		if got := b.failed(step.uptime); got != step.want {
			t.Errorf("failure %d (uptime %v): delay %v, want %v", i, step.uptime, got, step.want)
		}
	}
}
