package storagetest

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func testUpstreamSession(t *testing.T, s storage.Store) {
	ctx := t.Context()
	u := newUpstreamSession("session-1")
	u.UpdatedAt = elsewhere(u.UpdatedAt)
	must(t, s.PutUpstreamSession(ctx, u))
	checkUpstreamSession(t, s, u, at(0))

	// Put replaces the whole session.
	u.Subject, u.Provider, u.Sealed = "user-2", "okta", []byte("resealed")
	u.CreatedAt, u.UpdatedAt, u.ExpiresAt = at(time.Second), at(time.Minute), at(2*time.Hour)
	must(t, s.PutUpstreamSession(ctx, u))
	checkUpstreamSession(t, s, u, u.ExpiresAt.Add(-time.Nanosecond))
	for _, now := range []time.Time{u.ExpiresAt, u.ExpiresAt.Add(time.Hour)} {
		_, err := s.GetUpstreamSession(ctx, u.ID, now)
		wantErr(t, "GetUpstreamSession at or after ExpiresAt", err, storage.ErrNotFound)
	}
	_, err := s.GetUpstreamSession(ctx, "session-missing", at(0))
	wantErr(t, "GetUpstreamSession of a missing session", err, storage.ErrNotFound)

	empty := newUpstreamSession("session-empty")
	empty.Sealed = []byte{}
	must(t, s.PutUpstreamSession(ctx, empty))
	empty.Sealed = nil
	checkUpstreamSession(t, s, empty, at(0))

	must(t, s.DeleteUpstreamSession(ctx, u.ID))
	_, err = s.GetUpstreamSession(ctx, u.ID, at(0))
	wantErr(t, "GetUpstreamSession after DeleteUpstreamSession", err, storage.ErrNotFound)
	wantErr(t, "DeleteUpstreamSession twice", s.DeleteUpstreamSession(ctx, u.ID), storage.ErrNotFound)
	checkUpstreamSession(t, s, empty, at(0))
}

func checkUpstreamSession(t *testing.T, s storage.Store, want storage.UpstreamSession, now time.Time) {
	t.Helper()
	got, err := s.GetUpstreamSession(t.Context(), want.ID, now)
	must(t, err)
	check(t, "GetUpstreamSession", got, want)
}
