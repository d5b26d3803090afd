package oidc_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
)

// lastSession is the sid of username's latest login at idp.
func lastSession(t *testing.T, idp *oidctest.Provider, username string) string {
	t.Helper()
	s := idp.Sessions(username)
	if len(s) == 0 {
		t.Fatalf("%s has no session at the provider", username)
	}
	return s[len(s)-1]
}

func TestVerifyLogoutToken(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, oidctest.Options{})
	p, err := oidc.New(genericOptions(idp))
	if err != nil {
		t.Fatal(err)
	}
	l := startLogin(t, p, idp, "alice")
	if _, err := p.Exchange(t.Context(), l.code(t), l.verifier, l.nonce); err != nil {
		t.Fatal(err)
	}
	sid := lastSession(t, idp, "alice")

	claims := idp.LogoutClaims("alice-pairwise-sub", sid, clientID)
	got, err := p.VerifyLogoutToken(t.Context(), idp.SignLogoutToken(claims))
	if err != nil {
		t.Fatalf("VerifyLogoutToken: %v", err)
	}
	if got.Issuer != idp.Issuer() || got.Subject != "alice-pairwise-sub" || got.SID != sid || got.JTI != claims["jti"] {
		t.Errorf("logout = %+v", got)
	}
	// exp is two minutes away; a minute of clock skew is allowed after it.
	if got.ReplayWindow <= 2*time.Minute || got.ReplayWindow > 3*time.Minute {
		t.Errorf("replay window %v, want about 3m", got.ReplayWindow)
	}

	// Without exp the token's age bounds it.
	noExp := idp.LogoutClaims("", sid, clientID)
	delete(noExp, "exp")
	got, err = p.VerifyLogoutToken(t.Context(), idp.SignLogoutToken(noExp))
	if err != nil || got.Subject != "" || got.SID != sid || got.ReplayWindow <= 10*time.Minute || got.ReplayWindow > 11*time.Minute {
		t.Errorf("without exp: %+v, %v", got, err)
	}
}

func TestVerifyLogoutTokenRefuses(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, oidctest.Options{})
	p, err := oidc.New(genericOptions(idp))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tests := []struct {
		name   string
		change func(map[string]any)
		want   string // in the reason
	}{
		{"wrong issuer", func(c map[string]any) { c["iss"] = "https://other.example" }, "issuer"},
		{"wrong audience", func(c map[string]any) { c["aud"] = "someone-else" }, "audience"},
		{"no events", func(c map[string]any) { delete(c, "events") }, "events"},
		{"events without the logout event", func(c map[string]any) { c["events"] = map[string]any{"other": map[string]any{}} }, "events"},
		{"logout event not an object", func(c map[string]any) { c["events"] = map[string]any{oidctest.BackChannelLogoutEvent: true} }, "events"},
		{"nonce", func(c map[string]any) { c["nonce"] = "n" }, "nonce"},
		{"empty nonce", func(c map[string]any) { c["nonce"] = "" }, "nonce"},
		{"neither sub nor sid", func(c map[string]any) { delete(c, "sub"); delete(c, "sid") }, "neither sub nor sid"},
		{"sid not a string", func(c map[string]any) { c["sid"] = 7 }, "strings"},
		{"no jti", func(c map[string]any) { delete(c, "jti") }, "jti"},
		{"no iat", func(c map[string]any) { delete(c, "iat") }, "iat"},
		{"iat in the future", func(c map[string]any) { c["iat"] = now.Add(5 * time.Minute).Unix() }, "future"},
		{"too old", func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-12*time.Minute).Unix(), now.Add(time.Hour).Unix()
		}, "too old"},
		{"expired", func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() }, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := idp.LogoutClaims("alice-pairwise-sub", "some-sid", clientID)
			tt.change(c)
			checkRefused(t, p, idp.SignLogoutToken(c), tt.want)
		})
	}
	t.Run("not a JWT", func(t *testing.T) { checkRefused(t, p, "not-a-jwt", "signature") })
	t.Run("unknown key", func(t *testing.T) {
		idp.SignWithUnknownKey(true)
		tok := idp.LogoutToken("alice-pairwise-sub", "", clientID)
		idp.SignWithUnknownKey(false)
		checkRefused(t, p, tok, "signature")
	})
}

func checkRefused(t *testing.T, p *oidc.Provider, tok, want string) {
	t.Helper()
	got, err := p.VerifyLogoutToken(t.Context(), tok)
	var bad *identity.InvalidLogoutToken
	if !errors.As(err, &bad) {
		t.Fatalf("VerifyLogoutToken = %+v, %v; want an InvalidLogoutToken", got, err)
	}
	if !strings.Contains(bad.Reason, want) {
		t.Errorf("reason %q, want it to mention %q", bad.Reason, want)
	}
	if strings.Contains(err.Error(), tok) {
		t.Error("the error quotes the token")
	}
}

// TestVerifyLogoutTokenProviderDown: a token that cannot be checked is not
// an invalid one.
func TestVerifyLogoutTokenProviderDown(t *testing.T) {
	t.Parallel()
	idp := startIdP(t, oidctest.Options{})
	p, err := oidc.New(genericOptions(idp))
	if err != nil {
		t.Fatal(err)
	}
	tok := idp.LogoutToken("alice-pairwise-sub", "", clientID)
	idp.SetDown(true)
	_, err = p.VerifyLogoutToken(t.Context(), tok)
	var bad *identity.InvalidLogoutToken
	if err == nil || errors.As(err, &bad) {
		t.Fatalf("with the provider down: %v, want a discovery error", err)
	}
}
