package idjag

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const audience = "https://drawbridge.example"

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// idp serves a discovery document and a key set whose keys a test can
// rotate.
type idp struct {
	srv  *httptest.Server
	mu   sync.Mutex
	keys map[string]*ecdsa.PrivateKey
	// discovery false answers 404 at the discovery path.
	discovery bool
	// fetches counts the requests for the key set.
	fetches int
}

func startIdP(t *testing.T) *idp {
	p := &idp{keys: map[string]*ecdsa.PrivateKey{}, discovery: true}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			if !p.discovery {
				http.NotFound(w, r)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": p.srv.URL, "jwks_uri": p.srv.URL + "/keys",
				"authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token"})
		case "/keys":
			p.fetches++
			var set jose.JSONWebKeySet
			for kid, k := range p.keys {
				set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"})
			}
			_ = json.NewEncoder(w).Encode(set)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.srv.Close)
	p.rotate(t, "k1")
	return p
}

func (p *idp) rotate(t *testing.T, kid string) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys[kid] = k
}

func (p *idp) sign(t *testing.T, kid string, claims map[string]any) string {
	p.mu.Lock()
	k := p.keys[kid]
	p.mu.Unlock()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: k, KeyID: kid}},
		(&jose.SignerOptions{}).WithType(TokenType))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	return raw
}

func (p *idp) grant(t *testing.T, kid string) string {
	return p.sign(t, kid, map[string]any{"iss": p.srv.URL, "sub": "u1", "aud": audience, "client_id": "agent",
		"jti": rand.Text(), "iat": t0.Unix(), "exp": t0.Add(5 * time.Minute).Unix(), "resource": "https://drawbridge.example/mcp"})
}

func verifier(p *idp) *Verifier {
	v, _ := verifierAt(p)
	return v
}

// verifierAt is a verifier whose clock the test moves by advance.
func verifierAt(p *idp) (v *Verifier, advance func(time.Duration)) {
	var mu sync.Mutex
	now := t0
	v = NewVerifier(audience, []Issuer{{Issuer: p.srv.URL, Claims: Claims{Subject: "sub"}}}, p.srv.Client(),
		func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	return v, func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
}

func (p *idp) fetchCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fetches
}

// TestDiscoveryAndRotation: without a jwks_uri the keys are found by
// discovery; a grant signed with a key the IdP published after the first
// fetch (rotation) verifies, the key set being fetched again.
func TestDiscoveryAndRotation(t *testing.T) {
	p := startIdP(t)
	v, advance := verifierAt(p)
	a, err := v.Verify(t.Context(), p.grant(t, "k1"))
	if err != nil || a.Subject != "u1" || a.ClientID != "agent" {
		t.Fatalf("first grant: %+v, %v", a, err)
	}
	p.rotate(t, "k2")
	advance(MinRefetch)
	if _, err := v.Verify(t.Context(), p.grant(t, "k2")); err != nil {
		t.Errorf("a grant signed with the rotated-in key: %v", err)
	}
	if n := p.fetchCount(); n != 2 {
		t.Errorf("the key set was fetched %d times, want 2", n)
	}
}

// TestForgedKeysDoNotHammerTheIdP: assertions naming keys the IdP never
// published (anyone can send them) make Drawbridge fetch the IdP's keys
// at most once per MinRefetch, however many arrive; they are all refused.
func TestForgedKeysDoNotHammerTheIdP(t *testing.T) {
	p := startIdP(t)
	v, advance := verifierAt(p)
	if _, err := v.Verify(t.Context(), p.grant(t, "k1")); err != nil {
		t.Fatal(err)
	}
	forger := startIdP(t) // its keys are not the IdP's
	for i := range 50 {
		kid := fmt.Sprintf("made-up-%d", i)
		forger.rotate(t, kid)
		forged := forger.sign(t, kid, map[string]any{"iss": p.srv.URL, "sub": "u1", "aud": audience,
			"client_id": "agent", "jti": rand.Text(), "iat": t0.Unix(), "exp": t0.Add(5 * time.Minute).Unix()})
		var e *Error
		if _, err := v.Verify(t.Context(), forged); !errors.As(err, &e) || e.Description != "the assertion's signature does not verify with the identity provider's keys" {
			t.Fatalf("forged assertion %d: %v", i, err)
		}
		if i == 24 {
			advance(MinRefetch)
		}
	}
	if n := p.fetchCount(); n != 2 {
		t.Errorf("the key set was fetched %d times for 50 forged assertions over one MinRefetch, want 2", n)
	}
	if _, err := v.Verify(t.Context(), p.grant(t, "k1")); err != nil {
		t.Errorf("a real grant after the flood: %v", err)
	}
}

// TestDiscoveryFailure: an IdP whose discovery document cannot be loaded
// gets a refusal that says so, not a crash or a grant, and is not asked
// again before MinRefetch; once it is back, it works.
func TestDiscoveryFailure(t *testing.T) {
	p := startIdP(t)
	p.discovery = false
	v, advance := verifierAt(p)
	_, err := v.Verify(t.Context(), p.grant(t, "k1"))
	var e *Error
	if !errors.As(err, &e) || e.Description != "the identity provider's discovery document could not be loaded" {
		t.Fatalf("got %v", err)
	}
	p.mu.Lock()
	p.discovery = true
	p.mu.Unlock()
	if _, err := v.Verify(t.Context(), p.grant(t, "k1")); !errors.As(err, &e) {
		t.Errorf("asked again at once: %v", err)
	}
	advance(MinRefetch)
	if _, err := v.Verify(t.Context(), p.grant(t, "k1")); err != nil {
		t.Errorf("after the IdP came back: %v", err)
	}
}

// TestSymmetricAlgorithmRefused: an HMAC-signed "grant" is refused before
// any key is looked at: only the IdP's private key can make a grant.
func TestSymmetricAlgorithmRefused(t *testing.T) {
	p := startIdP(t)
	sig, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")},
		(&jose.SignerOptions{}).WithType(TokenType))
	jws, _ := sig.Sign([]byte(`{"iss":"` + p.srv.URL + `"}`))
	raw, _ := jws.CompactSerialize()
	_, err := verifier(p).Verify(t.Context(), raw)
	var e *Error
	if !errors.As(err, &e) || e.Description != "the assertion is not a signed JWT with an accepted algorithm" {
		t.Errorf("got %v", err)
	}
}
