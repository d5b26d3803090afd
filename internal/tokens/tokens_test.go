package tokens_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

const (
	issuer   = "https://gw.example"
	resource = "https://gw.example/mcp"
)

type fixture struct {
	keys     *tokens.Keys
	verifier *tokens.Verifier
	revoked  *tokens.RevocationList
	now      time.Time
	store    *sqlite.Store
	ring     *tokens.Keyring
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{store: st, now: time.Unix(1_800_000_000, 0)}
	clock := func() time.Time { return f.now }
	f.ring, _ = tokens.NewKeyring([]tokens.RingKey{{ID: "k", Key: tokens.GenerateKey()}})
	if f.keys, err = tokens.LoadKeys(ctx, st, f.ring, clock); err != nil {
		t.Fatal(err)
	}
	f.revoked = tokens.NewRevocationList(st, clock, time.Hour)
	f.verifier = &tokens.Verifier{Keys: f.keys, Issuer: issuer, Revoked: f.revoked, Now: clock}
	return f
}

func (f *fixture) claims() tokens.AccessClaims {
	return tokens.AccessClaims{Issuer: issuer, Subject: "alice", Audience: resource, ClientID: "c1", Scope: "a b",
		GrantID: "g1", IssuedAt: f.now, Expiry: f.now.Add(time.Hour), Email: "a@example.com", Groups: []string{"eng"}}
}

func TestMintVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	raw, err := f.keys.Mint(f.claims())
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.verifier.Verify(context.Background(), raw, resource)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "alice" || c.ClientID != "c1" || c.Scope != "a b" || c.GrantID != "g1" || c.Audience != resource ||
		c.Email != "a@example.com" || len(c.Groups) != 1 || !c.Expiry.Equal(f.now.Add(time.Hour)) || c.ID == "" {
		t.Fatalf("claims = %+v", c)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	var h map[string]string
	_ = json.Unmarshal(hdr, &h)
	if h["alg"] != "ES256" || h["typ"] != "at+jwt" || h["kid"] != f.keys.Current() {
		t.Fatalf("header = %v", h)
	}
}

func TestVerifyRejects(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	good, _ := f.keys.Mint(f.claims())
	parts := strings.Split(good, ".")
	// Verified (and cached) for its own audience first: the cache must not
	// make it good for another.
	if _, err := f.verifier.Verify(ctx, good, resource); err != nil {
		t.Fatal(err)
	}

	foreignKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sign := func(key any, alg jose.SignatureAlgorithm, typ, kid string, claims any) string {
		opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", kid)
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := jwt.Signed(s).Claims(claims).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	std := map[string]any{"iss": issuer, "sub": "alice", "aud": resource, "client_id": "c1", "gid": "g1",
		"iat": f.now.Unix(), "exp": f.now.Add(time.Hour).Unix()}
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + parts[1] + "."

	tests := []struct {
		name string
		tok  string
		aud  string
		want error
	}{
		{"alg none", none, resource, tokens.ErrMalformed},
		{"HS256 with the public key as secret", sign([]byte("0123456789abcdef0123456789abcdef"), jose.HS256, "at+jwt", f.keys.Current(), std), resource, tokens.ErrMalformed},
		{"foreign key with our kid", sign(foreignKey, jose.ES256, "at+jwt", f.keys.Current(), std), resource, tokens.ErrBadSignature},
		{"unknown kid", sign(foreignKey, jose.ES256, "at+jwt", "nope", std), resource, tokens.ErrBadSignature},
		{"ID token typ", sign(foreignKey, jose.ES256, "JWT", f.keys.Current(), std), resource, tokens.ErrMalformed},
		{"another audience", good, "https://gw.example/other", tokens.ErrWrongAud},
		{"truncated", parts[0] + "." + parts[1], resource, tokens.ErrMalformed},
		{"empty", "", resource, tokens.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.verifier.Verify(ctx, tt.tok, tt.aud); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyTimeAndIssuer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.claims()
	c.Issuer = "https://evil.example"
	wrongIss, _ := f.keys.Mint(c)
	if _, err := f.verifier.Verify(ctx, wrongIss, resource); !errors.Is(err, tokens.ErrWrongIssuer) {
		t.Errorf("wrong issuer: %v", err)
	}
	good, _ := f.keys.Mint(f.claims())
	f.now = f.now.Add(time.Hour + 29*time.Second) // within the 30s leeway
	if _, err := f.verifier.Verify(ctx, good, resource); err != nil {
		t.Errorf("within leeway: %v", err)
	}
	f.now = f.now.Add(2 * time.Second)
	if _, err := f.verifier.Verify(ctx, good, resource); !errors.Is(err, tokens.ErrExpired) {
		t.Errorf("expired: %v", err)
	}
}

func TestRevocationList(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.revoked.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	good, _ := f.keys.Mint(f.claims())
	if _, err := f.verifier.Verify(ctx, good, resource); err != nil {
		t.Fatal(err)
	}
	// Revoked in storage by another replica: refused after the next sync.
	g := storage.Grant{ID: "g1", ClientID: "c1", Identity: storage.Identity{Subject: "alice"}, CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}
	if err := f.store.CreateGrant(ctx, g, nil); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Second)
	if _, err := f.store.RevokeGrant(ctx, "g1", "test", f.now); err != nil {
		t.Fatal(err)
	}
	if _, err := f.verifier.Verify(ctx, good, resource); err != nil {
		t.Fatalf("refused before any sync: %v", err)
	}
	if err := f.revoked.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.verifier.Verify(ctx, good, resource); !errors.Is(err, tokens.ErrRevoked) {
		t.Fatalf("revoked grant after sync: %v", err)
	}
	// A local revocation takes effect at once.
	f.revoked.Add("g2", f.now)
	c := f.claims()
	c.GrantID = "g2"
	other, _ := f.keys.Mint(c)
	if _, err := f.verifier.Verify(ctx, other, resource); !errors.Is(err, tokens.ErrRevoked) {
		t.Fatalf("locally revoked grant: %v", err)
	}
	// Entries are forgotten once no token can still be valid.
	f.now = f.now.Add(2 * time.Hour)
	if err := f.revoked.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if f.revoked.IsRevoked("g1") || f.revoked.IsRevoked("g2") {
		t.Error("an entry older than keep was not forgotten")
	}
}

func TestKeysPersistAndReload(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ring, _ := tokens.NewKeyring([]tokens.RingKey{{ID: "k", Key: tokens.GenerateKey()}})
	// Another keyring cannot open the stored key: a clear error, not a new key.
	if _, err := tokens.LoadKeys(ctx, f.store, ring, func() time.Time { return f.now }); err == nil || !strings.Contains(err.Error(), "encryption key") {
		t.Fatalf("LoadKeys with the wrong keyring: %v", err)
	}
	old := f.keys.Current()
	tok, _ := f.keys.Mint(f.claims())
	f.now = f.now.Add(time.Second)
	newKID, err := f.keys.Generate(ctx)
	if err != nil || newKID == old || f.keys.Current() != newKID {
		t.Fatalf("Generate: %v", err)
	}
	// Tokens signed with the old key still verify; the JWKS lists both.
	if _, err := f.verifier.Verify(ctx, tok, resource); err != nil {
		t.Fatalf("old key's token: %v", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(f.keys.JWKS(), &set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("JWKS: %v %d", err, len(set.Keys))
	}
	for _, k := range set.Keys {
		if !k.IsPublic() {
			t.Fatal("a private key is published")
		}
	}
}

// countingStore counts every call, to prove verification stays in memory.
type countingStore struct {
	storage.Store
	calls int
}

func (c *countingStore) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	c.calls++
	return c.Store.ListSigningKeys(ctx)
}

func (c *countingStore) RevokedGrantsSince(ctx context.Context, since time.Time) ([]storage.RevokedGrant, error) {
	c.calls++
	return c.Store.RevokedGrantsSince(ctx, since)
}

// TestVerifyTouchesNoStorage: the request path checks tokens in memory; only
// an unknown key id may trigger a (rate-limited) reload.
func TestVerifyTouchesNoStorage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs := &countingStore{Store: st}
	ring, _ := tokens.NewKeyring([]tokens.RingKey{{ID: "k", Key: tokens.GenerateKey()}})
	keys, err := tokens.LoadKeys(ctx, cs, ring, func() time.Time { return f.now })

	if err != nil {
		t.Fatal(err)
	}
	rl := tokens.NewRevocationList(cs, func() time.Time { return f.now }, time.Hour)
	v := &tokens.Verifier{Keys: keys, Issuer: issuer, Revoked: rl, Now: func() time.Time { return f.now }}
	tok, _ := keys.Mint(f.claims())
	cs.calls = 0
	for range 100 {
		if _, err := v.Verify(ctx, tok, resource); err != nil {
			t.Fatal(err)
		}
	}
	if cs.calls != 0 {
		t.Fatalf("100 verifications made %d storage calls", cs.calls)
	}
	// Tokens with made-up key ids cause at most one reload a second.
	foreign := strings.Split(tok, ".")
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"made-up","typ":"at+jwt"}`))
	for range 50 {
		_, _ = v.Verify(ctx, hdr+"."+foreign[1]+"."+foreign[2], resource)
	}
	if cs.calls > 1 {
		t.Fatalf("unknown key ids made %d storage calls", cs.calls)
	}
}

// BenchmarkVerify: "cached" is the steady state of a client that reuses its
// token; "signature" is the first sight of a token (an ECDSA P-256 check).
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	ring, _ := tokens.NewKeyring([]tokens.RingKey{{ID: "k", Key: tokens.GenerateKey()}})
	keys, err := tokens.LoadKeys(ctx, st, ring, clock)
	if err != nil {
		b.Fatal(err)
	}
	claims := tokens.AccessClaims{Issuer: issuer, Subject: "alice", Audience: resource, ClientID: "c1", Scope: "a b",
		GrantID: "g1", IssuedAt: now, Expiry: now.Add(time.Hour)}
	b.Run("cached", func(b *testing.B) {
		v := &tokens.Verifier{Keys: keys, Issuer: issuer, Now: clock}
		tok, _ := keys.Mint(claims)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok, resource); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("signature", func(b *testing.B) {
		v := &tokens.Verifier{Keys: keys, Issuer: issuer, Now: clock}
		toks := make([]string, 256)
		for i := range toks {
			toks[i], _ = keys.Mint(claims) // distinct jti: distinct tokens
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			// A fresh verifier per 256 tokens keeps every check uncached.
			if i%len(toks) == 0 {
				v = &tokens.Verifier{Keys: keys, Issuer: issuer, Now: clock}
			}
			if _, err := v.Verify(ctx, toks[i%len(toks)], resource); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func TestRotateAndPrune(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := f.keys.Current()
	old, _ := f.keys.Mint(f.claims())

	f.now = f.now.Add(time.Minute)
	if rotated, err := f.keys.RotateIfOlder(ctx, time.Hour); err != nil || rotated {
		t.Fatalf("rotated a young key: %v %v", rotated, err)
	}
	f.now = f.now.Add(2 * time.Hour)
	if rotated, err := f.keys.RotateIfOlder(ctx, time.Hour); err != nil || !rotated || f.keys.Current() == first {
		t.Fatalf("did not rotate an old key: %v %v", rotated, err)
	}
	// Within the overlap, the old key still verifies what it signed.
	if n, err := f.keys.Prune(ctx, time.Hour); err != nil || n != 0 {
		t.Fatalf("pruned within the overlap: %d %v", n, err)
	}
	if _, ok := f.keys.PublicKey(first); !ok {
		t.Fatal("the previous key left the JWKS too early")
	}
	// After it, the old key goes: nothing it signed can still be valid.
	f.now = f.now.Add(2 * time.Hour)
	if n, err := f.keys.Prune(ctx, time.Hour); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	if _, ok := f.keys.PublicKey(first); ok {
		t.Fatal("the pruned key is still published")
	}
	if _, err := f.verifier.Verify(ctx, old, resource); err == nil {
		t.Fatal("a token of a pruned key verified")
	}
}

// TestSignGrant: an ID-JAG is signed with the current key and typed as
// one, and Drawbridge's own verifier refuses it as an access token even
// when its claims would pass for one.
func TestSignGrant(t *testing.T) {
	f := newFixture(t)
	claims := map[string]any{"iss": issuer, "sub": "alice", "aud": resource, "client_id": "c1", "gid": "g1",
		"iat": f.now.Unix(), "exp": f.now.Add(time.Hour).Unix(), "jti": "j1"}
	raw, err := f.keys.SignGrant(claims)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	h := tok.Headers[0]
	if h.KeyID != f.keys.Current() || h.ExtraHeaders[jose.HeaderType] != "oauth-id-jag+jwt" {
		t.Errorf("header kid %q typ %v; want the current key and oauth-id-jag+jwt", h.KeyID, h.ExtraHeaders[jose.HeaderType])
	}
	pub, _ := f.keys.PublicKey(h.KeyID)
	var got map[string]any
	if err := tok.Claims(pub, &got); err != nil || got["jti"] != "j1" || got["sub"] != "alice" {
		t.Errorf("claims %v, %v", got, err)
	}
	if _, err := f.verifier.Verify(context.Background(), raw, resource); !errors.Is(err, tokens.ErrMalformed) {
		t.Errorf("the ID-JAG as an access token: %v; want ErrMalformed", err)
	}
}
