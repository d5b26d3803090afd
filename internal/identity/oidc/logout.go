package oidc

import (
	"context"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// BackChannelLogoutEvent is the member of a logout token's events claim
// that makes it one (OIDC Back-Channel Logout 1.0, section 2.4).
const BackChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

const (
	// maxLogoutTokenAge refuses a logout token issued longer ago than this,
	// whatever its exp says: the specification does not require exp (and
	// some providers omit it), and a token that never expires could end a
	// later sign-in of the same user if it were ever replayed once its jti
	// had been forgotten. Section 4 encourages lifetimes of two minutes.
	maxLogoutTokenAge = 10 * time.Minute
	// logoutClockSkew tolerates clocks a little apart.
	logoutClockSkew = time.Minute
)

var _ identity.LogoutVerifier = (*Provider)(nil)

// VerifyLogoutToken validates a logout token as OIDC Back-Channel Logout
// 1.0, section 2.6 asks: go-oidc checks the signature against the
// provider's JWKS, iss (exactly the configured issuer) and aud (contains
// our client ID), as for an ID token; the rest is done here. iat is
// required and at most maxLogoutTokenAge old, exp is checked when present
// (go-oidc would refuse a token without one), jti is required, events must
// hold the back-channel logout event as an object, sub or sid must be
// present, and nonce must not be (so that an ID token cannot pass for a
// logout token, section 4.1). Replays of jti are the caller's to refuse,
// for Logout.ReplayWindow.
func (p *Provider) VerifyLogoutToken(ctx context.Context, raw string) (*identity.Logout, error) {
	d, err := p.discovered(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := d.logoutVerifier.Verify(gooidc.ClientContext(ctx, p.client), raw)
	if err != nil {
		return nil, &identity.InvalidLogoutToken{Reason: "the signature, issuer or audience is not valid for this client", Err: err}
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, &identity.InvalidLogoutToken{Reason: "the claims are not a JSON object", Err: err}
	}
	window, reason := logoutTimes(tok.IssuedAt, tok.Expiry, p.now())
	if reason == "" {
		reason = logoutClaims(claims)
	}
	if reason != "" {
		return nil, &identity.InvalidLogoutToken{Reason: reason}
	}
	sid, _ := claims["sid"].(string)
	jti, _ := claims["jti"].(string)
	return &identity.Logout{Issuer: tok.Issuer, Subject: tok.Subject, SID: sid, JTI: jti, ReplayWindow: window}, nil
}

// logoutTimes checks iat and exp, and returns how much longer the token
// would be accepted; a non-empty reason refuses it.
func logoutTimes(iat, exp, now time.Time) (time.Duration, string) {
	switch {
	case iat.IsZero():
		return 0, "iat is missing"
	case iat.After(now.Add(logoutClockSkew)):
		return 0, "iat is in the future"
	case now.Sub(iat) > maxLogoutTokenAge+logoutClockSkew:
		return 0, "the token is too old (iat)"
	case !exp.IsZero() && !now.Before(exp.Add(logoutClockSkew)):
		return 0, "the token has expired"
	}
	until := iat.Add(maxLogoutTokenAge)
	if !exp.IsZero() && exp.Before(until) {
		until = exp
	}
	return until.Add(logoutClockSkew).Sub(now), ""
}

// logoutClaims checks the claims that make a JWT a logout token (section
// 2.4); a non-empty result is the reason to refuse it.
func logoutClaims(claims map[string]any) string {
	if jti, _ := claims["jti"].(string); jti == "" {
		return "jti is missing"
	}
	events, _ := claims["events"].(map[string]any)
	if _, ok := events[BackChannelLogoutEvent].(map[string]any); !ok {
		return "events does not hold the back-channel logout event"
	}
	if _, ok := claims["nonce"]; ok {
		return "a logout token must not contain a nonce"
	}
	sub, subOK := optionalString(claims, "sub")
	sid, sidOK := optionalString(claims, "sid")
	switch {
	case !subOK || !sidOK:
		return "sub and sid must be strings"
	case sub == "" && sid == "":
		return "neither sub nor sid is present"
	}
	return ""
}

// optionalString returns a claim that must be a string if present.
func optionalString(claims map[string]any, name string) (string, bool) {
	switch v := claims[name].(type) {
	case nil:
		return "", true
	case string:
		return v, true
	}
	return "", false
}

// upstreamLogin is what a back-channel logout can later name this sign-in
// by: the provider's own sub and sid, whatever claim the subject was
// mapped from. A sid of the wrong type is left out rather than failing the
// sign-in; that session can still be ended by sub.
func (p *Provider) upstreamLogin(claims map[string]any) storage.UpstreamLogin {
	sub, _ := claims["sub"].(string)
	sid, _ := claims["sid"].(string)
	return storage.UpstreamLogin{Issuer: p.issuer, Subject: sub, SID: sid}
}
