package oidc

import (
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

const testRedirect = "https://drawbridge.test/auth/callback"

func startTestIdP(t *testing.T) *oidctest.Provider {
	return oidctest.Start(t, oidctest.Options{
		Users:   []oidctest.User{{Username: "alice"}},
		Clients: []oidctest.Client{{ID: "drawbridge", Secret: "s", RedirectURIs: []string{testRedirect}}},
	})
}

func newTestProvider(t *testing.T, idp *oidctest.Provider) (*Provider, *time.Time) {
	t.Helper()
	p, err := New(Options{Name: "corp", Issuer: idp.Issuer(), ClientID: "drawbridge", ClientSecret: "s",
		RedirectURL: testRedirect, HTTPClient: idp.Client()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	now := time.Now()
	p.now = func() time.Time { return now }
	return p, &now
}

// TestIdPDownAtStart: New succeeds while the IdP is down, Ready fails, a
// failure is not retried at once, and once the IdP is back a later call
// discovers it and logins work.
func TestIdPDownAtStart(t *testing.T) {
	t.Parallel()
	idp := startTestIdP(t)
	idp.SetDown(true)
	p, now := newTestProvider(t, idp)
	ctx := t.Context()

	if err := p.Ready(ctx); err == nil {
		t.Fatal("Ready succeeded while the IdP is down")
	}
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	if _, err := p.AuthCodeURL(ctx, "state", "nonce", challenge); err == nil {
		t.Fatal("AuthCodeURL succeeded while the IdP is down")
	}

	idp.SetDown(false)
	if err := p.Ready(ctx); err == nil {
		t.Error("a failure was retried before discoveryRetryAfter")
	}
	if n := len(idp.RequestsTo("discovery")); n != 0 {
		t.Errorf("%d discovery requests within the retry interval, want 0", n)
	}

	*now = now.Add(discoveryRetryAfter)
	if err := p.Ready(ctx); err != nil {
		t.Fatalf("Ready after the IdP came back: %v", err)
	}
	verifier := oauth2.GenerateVerifier()
	authURL, err := p.AuthCodeURL(ctx, "state", "nonce", oauth2.S256ChallengeFromVerifier(verifier))
	if err != nil {
		t.Fatal(err)
	}
	cb, err := idp.Login(ctx, authURL, "alice")
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Exchange(ctx, cb.Query().Get("code"), verifier, "nonce")
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if res.Identity.Subject != "alice" {
		t.Errorf("subject = %q", res.Identity.Subject)
	}

	// Once discovered, the result is kept: an IdP outage does not make the
	// gateway unready, and authorization URLs need no request.
	idp.SetDown(true)
	if err := p.Ready(ctx); err != nil {
		t.Errorf("Ready after a later outage: %v", err)
	}
	if _, err := p.AuthCodeURL(ctx, "state", "nonce", challenge); err != nil {
		t.Errorf("AuthCodeURL after a later outage: %v", err)
	}
}

func TestNewDoesNotContactIdP(t *testing.T) {
	t.Parallel()
	idp := startTestIdP(t)
	newTestProvider(t, idp)
	if n := len(idp.Requests()); n != 0 {
		t.Errorf("New made %d requests", n)
	}
}

func TestConcurrentFirstUseDiscoversOnce(t *testing.T) {
	t.Parallel()
	idp := startTestIdP(t)
	p, _ := newTestProvider(t, idp)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := p.Ready(t.Context()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(idp.RequestsTo("discovery")); n != 1 {
		t.Errorf("%d discovery requests, want 1", n)
	}
}
