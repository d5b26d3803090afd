package storagetest

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func newBinding(key string) storage.SessionBinding {
	return storage.SessionBinding{Key: key, Subject: "user-1", ClientID: "client-a", Server: "snippets",
		Target: "http://backend/message?sessionId=1", CreatedAt: at(0), ExpiresAt: at(time.Hour)}
}

func testSessionBindings(t *testing.T, s storage.Store) {
	ctx := t.Context()
	b := newBinding("sess-1")
	must(t, s.PutSessionBinding(ctx, b))
	got, err := s.GetSessionBinding(ctx, "sess-1", elsewhere(at(time.Minute)))
	must(t, err)
	check(t, "GetSessionBinding", got, b)

	// A live binding cannot be taken over by another subject.
	thief := newBinding("sess-1")
	thief.Subject, thief.CreatedAt = "user-2", at(time.Minute)
	wantErr(t, "PutSessionBinding over a live binding", s.PutSessionBinding(ctx, thief), storage.ErrAlreadyExists)
	got, err = s.GetSessionBinding(ctx, "sess-1", at(time.Minute))
	must(t, err)
	check(t, "GetSessionBinding after a refused takeover", got, b)

	_, err = s.GetSessionBinding(ctx, "sess-1", at(time.Hour))
	wantErr(t, "GetSessionBinding when expired", err, storage.ErrNotFound)
	// Once expired, the key may be bound again.
	again := newBinding("sess-1")
	again.Subject, again.CreatedAt, again.ExpiresAt = "user-2", at(time.Hour), at(2*time.Hour)
	must(t, s.PutSessionBinding(ctx, again))

	must(t, s.DeleteSessionBinding(ctx, "sess-1"))
	_, err = s.GetSessionBinding(ctx, "sess-1", at(time.Hour))
	wantErr(t, "GetSessionBinding after delete", err, storage.ErrNotFound)
	wantErr(t, "DeleteSessionBinding of a missing key", s.DeleteSessionBinding(ctx, "sess-1"), storage.ErrNotFound)

	must(t, s.PutSessionBinding(ctx, newBinding("sess-2")))
	res, err := s.DeleteExpired(ctx, at(time.Hour), time.Hour)
	must(t, err)
	if res.SessionBindings != 1 {
		t.Errorf("DeleteExpired removed %d session bindings, want 1", res.SessionBindings)
	}
}
