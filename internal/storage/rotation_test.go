package storage

import (
	"errors"
	"testing"
	"time"
)

// TestRotationDecide: the one rule of refresh-token rotation, as a table.
func TestRotationDecide(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const grace = 30 * time.Second
	exp := t0.Add(time.Hour)
	current := &RefreshToken{Hash: "rt-0", GrantID: "g", ExpiresAt: exp}
	rotated := &RefreshToken{Hash: "rt-0", GrantID: "g", ExpiresAt: exp, RotatedAt: t0, ReplacedBy: "rt-1"}
	spent := &RefreshToken{Hash: "rt-0", GrantID: "g", ExpiresAt: exp, RotatedAt: t0} // its retry was made
	expired := &RefreshToken{Hash: "rt-0", GrantID: "g", ExpiresAt: t0.Add(time.Minute)}
	unused := &RefreshToken{Hash: "rt-1", GrantID: "g", ExpiresAt: exp}
	used := &RefreshToken{Hash: "rt-1", GrantID: "g", ExpiresAt: exp, RotatedAt: t0.Add(time.Second), ReplacedBy: "rt-2"}
	other := &RefreshToken{Hash: "rt-9", GrantID: "g", ExpiresAt: exp}

	live := Grant{ID: "g", ClientID: "client-a"}
	bounded := Grant{ID: "g", ClientID: "client-a", ExpiresAt: t0.Add(2 * time.Minute)}
	revoked := Grant{ID: "g", ClientID: "client-a", RevokedAt: t0, RevokeReason: "admin"}
	errWrongClient := errors.New("presented by another client")
	// The token endpoint's check: the token must come from its own client.
	clientA := func(g Grant) error {
		if g.ClientID != "client-a" {
			return errWrongClient
		}
		return nil
	}
	otherClient := func(Grant) error { return errWrongClient }

	tests := []struct {
		name      string
		old       *RefreshToken
		grant     Grant
		successor *RefreshToken
		now       time.Time
		grace     time.Duration
		check     func(Grant) error
		want      RotationStep
		wantErr   error
		checked   bool // whether check must have run
		inspect   bool // Rotation.Inspect: token exchange presents the token
	}{
		// Nothing to exchange.
		{name: "unknown token", old: nil, grant: Grant{}, now: t0, grace: grace, check: clientA, want: RotateUnknown},
		{name: "expired token", old: expired, grant: live, now: t0.Add(time.Minute), grace: grace, check: clientA,
			want: RotateUnknown},
		{name: "token expiring later", old: expired, grant: live, now: t0.Add(time.Minute - time.Nanosecond), grace: grace,
			check: clientA, want: RotateCurrent, checked: true},
		{name: "revoked grant", old: current, grant: revoked, now: t0, grace: grace, check: clientA, want: RotateRevoked},
		{name: "revoked grant, replayed token", old: rotated, grant: revoked, successor: used, now: t0.Add(time.Hour / 2),
			grace: grace, check: clientA, want: RotateRevoked},
		{name: "expired grant", old: current, grant: bounded, now: t0.Add(2 * time.Minute), grace: grace, check: clientA,
			want: RotateRevoked},
		{name: "grant expiring later", old: current, grant: bounded, now: t0.Add(2*time.Minute - time.Nanosecond),
			grace: grace, check: clientA, want: RotateCurrent, checked: true},

		// A current token.
		{name: "current", old: current, grant: live, now: t0, grace: grace, check: clientA, want: RotateCurrent, checked: true},
		{name: "current, no grace", old: current, grant: live, now: t0, grace: 0, check: clientA, want: RotateCurrent,
			checked: true},
		{name: "current, no check", old: current, grant: live, now: t0, grace: grace, want: RotateCurrent},
		{name: "current, wrong client", old: current, grant: live, now: t0, grace: grace, check: otherClient,
			want: RotateRefused, wantErr: errWrongClient, checked: true},

		// A rotated token within the grace period.
		{name: "lost response, retried at once", old: rotated, grant: live, successor: unused, now: t0, grace: grace,
			check: clientA, want: RotateGraceRetry, checked: true},
		{name: "lost response, retried just in time", old: rotated, grant: live, successor: unused,
			now: t0.Add(grace - time.Nanosecond), grace: grace, check: clientA, want: RotateGraceRetry, checked: true},
		{name: "grace retry, wrong client", old: rotated, grant: live, successor: unused, now: t0, grace: grace,
			check: otherClient, want: RotateRefused, wantErr: errWrongClient, checked: true},

		// Reuse: the grant is revoked, whoever presents the token.
		{name: "retried when the window closes", old: rotated, grant: live, successor: unused, now: t0.Add(grace),
			grace: grace, check: clientA, want: RotateReuse},
		{name: "rotated, no grace", old: rotated, grant: live, successor: unused, now: t0, grace: 0, check: clientA,
			want: RotateReuse},
		{name: "successor used", old: rotated, grant: live, successor: used, now: t0.Add(2 * time.Second), grace: grace,
			check: clientA, want: RotateReuse},
		{name: "successor gone", old: rotated, grant: live, now: t0.Add(time.Second), grace: grace, check: clientA,
			want: RotateReuse},
		{name: "successor is another token", old: rotated, grant: live, successor: other, now: t0.Add(time.Second),
			grace: grace, check: clientA, want: RotateReuse},
		{name: "second retry (grace already used)", old: spent, grant: live, now: t0.Add(time.Second), grace: grace,
			check: clientA, want: RotateReuse},
		{name: "replayed by another client", old: rotated, grant: live, successor: used, now: t0.Add(2 * time.Second),
			grace: grace, check: otherClient, want: RotateReuse},

		// Inspected (token exchange): nothing is exchanged, reuse is reuse.
		{name: "inspected, current", old: current, grant: live, now: t0, grace: grace, check: clientA, inspect: true,
			want: RotateKeep, checked: true},
		{name: "inspected, current, wrong client", old: current, grant: live, now: t0, grace: grace, check: otherClient,
			inspect: true, want: RotateRefused, wantErr: errWrongClient, checked: true},
		{name: "inspected in the grace window", old: rotated, grant: live, successor: unused, now: t0, grace: grace,
			check: clientA, inspect: true, want: RotateUnknown},
		{name: "inspected after the grace window", old: rotated, grant: live, successor: unused, now: t0.Add(grace),
			grace: grace, check: clientA, inspect: true, want: RotateReuse},
		{name: "inspected, successor used", old: rotated, grant: live, successor: used, now: t0.Add(2 * time.Second),
			grace: grace, check: clientA, inspect: true, want: RotateReuse},
		{name: "inspected, revoked grant", old: current, grant: revoked, now: t0, grace: grace, check: clientA,
			inspect: true, want: RotateRevoked},
		{name: "inspected, expired token", old: expired, grant: live, now: t0.Add(time.Minute), grace: grace,
			check: clientA, inspect: true, want: RotateUnknown},
	}
	for _, tt := range tests {
		checked := false
		r := Rotation{OldHash: "rt-0", New: RefreshToken{Hash: "rt-new"}, Now: tt.now, Grace: tt.grace, Inspect: tt.inspect}
		if tt.check != nil {
			r.Check = func(g Grant) error {
				checked = true
				if g.ID != tt.grant.ID {
					t.Errorf("%s: Check got grant %q, want %q", tt.name, g.ID, tt.grant.ID)
				}
				return tt.check(g)
			}
		}
		got, err := r.Decide(tt.old, tt.grant, tt.successor)
		if got != tt.want || err != tt.wantErr {
			t.Errorf("%s: Decide = %d, %v; want %d, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		if checked != tt.checked {
			t.Errorf("%s: Check ran: %v, want %v", tt.name, checked, tt.checked)
		}
	}
}
