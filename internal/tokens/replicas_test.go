package tokens_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// TestRotationSeenByOtherReplica: two replicas share one store. A key that
// one of them makes signs tokens the other accepts at once, even right
// after a made-up key id made it reload, and the other signs with it after
// its next reload.
func TestRotationSeenByOtherReplica(t *testing.T) {
	f := newFixture(t) // replica A
	ctx := context.Background()
	clock := func() time.Time { return f.now }
	// Replica B: the same store, the same encryption key.
	b, err := tokens.LoadKeys(ctx, f.store, f.ring, clock)
	if err != nil {
		t.Fatal(err)
	}
	vb := &tokens.Verifier{Keys: b, Issuer: issuer, Now: clock}
	old := b.Current()

	// Someone probes B with a made-up key id: B reloads now.
	tok, _ := f.keys.Mint(f.claims())
	parts := strings.Split(tok, ".")
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"made-up","typ":"at+jwt"}`))
	if _, err := vb.Verify(ctx, hdr+"."+parts[1]+"."+parts[2], resource); err == nil {
		t.Fatal("a made-up key id verified")
	}

	f.now = f.now.Add(2 * time.Second)
	kid, err := f.keys.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := f.claims()
	c.IssuedAt = f.now
	fresh, _ := f.keys.Mint(c)
	if _, err := vb.Verify(ctx, fresh, resource); err != nil {
		t.Fatalf("B refuses a token of the key A just made: %v", err)
	}
	if _, ok := b.PublicKey(kid); !ok {
		t.Fatal("B's JWKS lacks A's new key after verifying its token")
	}
	if b.Current() != kid {
		// Reload makes the newest key current on B as well.
		t.Fatalf("B signs with %s, want the newest key %s (old %s)", b.Current(), kid, old)
	}
}
