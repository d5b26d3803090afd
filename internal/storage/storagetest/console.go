package storagetest

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func newConsoleSession(hash string) storage.ConsoleSession {
	return storage.ConsoleSession{Hash: hash, GrantID: "grant-" + hash, Identity: newIdentity("user-1"),
		CreatedAt: at(0), ExpiresAt: at(time.Hour)}
}

func testConsoleSessions(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newConsoleSession("hash-a")
	must(t, s.CreateConsoleSession(ctx, a))
	got, err := s.GetConsoleSession(ctx, "hash-a", elsewhere(at(time.Minute)))
	must(t, err)
	check(t, "GetConsoleSession", got, a)

	dup := newConsoleSession("hash-a")
	dup.GrantID = "grant-other"
	wantErr(t, "CreateConsoleSession with a taken hash", s.CreateConsoleSession(ctx, dup), storage.ErrAlreadyExists)
	got, err = s.GetConsoleSession(ctx, "hash-a", at(time.Minute))
	must(t, err)
	check(t, "GetConsoleSession after a refused duplicate", got, a)

	_, err = s.GetConsoleSession(ctx, "hash-a", at(time.Hour))
	wantErr(t, "GetConsoleSession when expired", err, storage.ErrNotFound)
	_, err = s.GetConsoleSession(ctx, "hash-unknown", at(0))
	wantErr(t, "GetConsoleSession of an unknown hash", err, storage.ErrNotFound)

	must(t, s.DeleteConsoleSession(ctx, "hash-a"))
	_, err = s.GetConsoleSession(ctx, "hash-a", at(0))
	wantErr(t, "GetConsoleSession after delete", err, storage.ErrNotFound)
	wantErr(t, "DeleteConsoleSession of a missing hash", s.DeleteConsoleSession(ctx, "hash-a"), storage.ErrNotFound)

	// Two expired, one live: only the expired go.
	for i, exp := range []time.Duration{time.Minute, time.Hour, 2 * time.Hour} {
		c := newConsoleSession(string(rune('b' + i)))
		c.ExpiresAt = at(exp)
		must(t, s.CreateConsoleSession(ctx, c))
	}
	n, err := s.DeleteExpiredConsoleSessions(ctx, at(time.Hour))
	must(t, err)
	if n != 2 {
		t.Errorf("DeleteExpiredConsoleSessions removed %d, want 2", n)
	}
	if _, err := s.GetConsoleSession(ctx, "d", at(time.Hour)); err != nil {
		t.Errorf("the live session went too: %v", err)
	}
}

func testTouchGrant(t *testing.T, s storage.Store) {
	ctx := t.Context()
	g := newGrant("grant-1", "client-a", "user-1")
	must(t, s.CreateGrant(ctx, g, nil))
	must(t, s.TouchGrant(ctx, "grant-1", elsewhere(at(time.Hour))))
	g.LastUsedAt = at(time.Hour)
	got, err := s.GetGrant(ctx, "grant-1")
	must(t, err)
	check(t, "GetGrant after TouchGrant", got, g)

	// An earlier use does not move it back.
	must(t, s.TouchGrant(ctx, "grant-1", at(time.Minute)))
	got, err = s.GetGrant(ctx, "grant-1")
	must(t, err)
	check(t, "GetGrant after an earlier TouchGrant", got, g)

	// A grant that never recorded a use takes the first one.
	h := newGrant("grant-2", "client-a", "user-1")
	h.LastUsedAt = time.Time{}
	must(t, s.CreateGrant(ctx, h, nil))
	must(t, s.TouchGrant(ctx, "grant-2", at(time.Minute)))
	h.LastUsedAt = at(time.Minute)
	got, err = s.GetGrant(ctx, "grant-2")
	must(t, err)
	check(t, "GetGrant of a grant used for the first time", got, h)

	must(t, s.TouchGrant(ctx, "no-such-grant", at(0)))
}
