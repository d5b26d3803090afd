package storagetest

import (
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func testSigningKeys(t *testing.T, s storage.Store) {
	ctx := t.Context()
	keys, err := s.ListSigningKeys(ctx)
	must(t, err)
	if len(keys) != 0 {
		t.Fatalf("ListSigningKeys of an empty store = %v, want none", keys)
	}

	k1 := newSigningKey("key-1")
	k1.NotAfter = elsewhere(k1.NotAfter)
	k2 := newSigningKey("key-2") // no limits; empty bytes come back nil
	k2.CreatedAt, k2.NotAfter, k2.ExpiresAt = at(time.Hour), time.Time{}, time.Time{}
	k2.PrivateSealed = []byte{}
	for _, k := range []storage.SigningKey{k1, k2} {
		must(t, s.CreateSigningKey(ctx, k))
	}
	k2.PrivateSealed = nil
	wantErr(t, "CreateSigningKey with a taken ID", s.CreateSigningKey(ctx, newSigningKey(k1.ID)), storage.ErrAlreadyExists)

	keys, err = s.ListSigningKeys(ctx)
	must(t, err)
	check(t, "ListSigningKeys", sorted(keys, keyID), []storage.SigningKey{k1, k2})

	// Re-sealing swaps the sealed key only if it is still the one read.
	resealed := []byte("sealed under the new key")
	must(t, s.ResealSigningKey(ctx, k1.ID, k1.PrivateSealed, resealed))
	wantErr(t, "ResealSigningKey from a stale value", s.ResealSigningKey(ctx, k1.ID, k1.PrivateSealed, []byte("lost")), storage.ErrNotFound)
	wantErr(t, "ResealSigningKey of an unknown key", s.ResealSigningKey(ctx, "no-such-key", resealed, []byte("x")), storage.ErrNotFound)
	k1.PrivateSealed = resealed
	keys, err = s.ListSigningKeys(ctx)
	must(t, err)
	check(t, "ListSigningKeys after ResealSigningKey", sorted(keys, keyID), []storage.SigningKey{k1, k2})

	must(t, s.DeleteSigningKey(ctx, k1.ID))
	wantErr(t, "DeleteSigningKey twice", s.DeleteSigningKey(ctx, k1.ID), storage.ErrNotFound)
	keys, err = s.ListSigningKeys(ctx)
	must(t, err)
	check(t, "ListSigningKeys after DeleteSigningKey", keys, []storage.SigningKey{k2})
}

func keyID(k storage.SigningKey) string { return k.ID }
