package storage

import (
	"testing"
	"time"
)

// TestRotationStep: the one rule of refresh-token rotation, as a table.
func TestRotationStep(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const grace = 30 * time.Second
	current := RefreshToken{Hash: "rt-0"}
	rotated := RefreshToken{Hash: "rt-0", RotatedAt: t0, ReplacedBy: "rt-1"}
	spent := RefreshToken{Hash: "rt-0", RotatedAt: t0} // its retry was made
	unused := &RefreshToken{Hash: "rt-1"}
	used := &RefreshToken{Hash: "rt-1", RotatedAt: t0.Add(time.Second), ReplacedBy: "rt-2"}
	other := &RefreshToken{Hash: "rt-9"}
	tests := []struct {
		name      string
		old       RefreshToken
		successor *RefreshToken
		now       time.Time
		grace     time.Duration
		want      RotationStep
	}{
		{"current", current, nil, t0, grace, RotateCurrent},
		{"current, no grace", current, nil, t0, 0, RotateCurrent},
		{"lost response, retried at once", rotated, unused, t0, grace, RotateGraceRetry},
		{"lost response, retried just in time", rotated, unused, t0.Add(grace - time.Nanosecond), grace, RotateGraceRetry},
		{"retried when the window closes", rotated, unused, t0.Add(grace), grace, RotateReuse},
		{"no grace", rotated, unused, t0, 0, RotateReuse},
		{"successor used", rotated, used, t0.Add(2 * time.Second), grace, RotateReuse},
		{"successor gone", rotated, nil, t0.Add(time.Second), grace, RotateReuse},
		{"successor is another token", rotated, other, t0.Add(time.Second), grace, RotateReuse},
		{"second retry", spent, nil, t0.Add(time.Second), grace, RotateReuse},
	}
	for _, tt := range tests {
		r := Rotation{OldHash: tt.old.Hash, Now: tt.now, Grace: tt.grace}
		if got := r.Step(tt.old, tt.successor); got != tt.want {
			t.Errorf("%s: Step = %d, want %d", tt.name, got, tt.want)
		}
	}
}
