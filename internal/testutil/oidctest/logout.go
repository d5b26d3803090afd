package oidctest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// BackChannelLogoutEvent is the events member that makes a JWT a logout
// token (OIDC Back-Channel Logout 1.0, section 2.4).
const BackChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// Sessions returns the session IDs (the sid claim of their ID tokens) of
// username's logins, oldest first.
func (p *Provider) Sessions(username string) []string {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	var out []string
	for _, s := range p.store.sessions {
		if s.username == username {
			out = append(out, s.sid)
		}
	}
	return out
}

// LogoutClaims returns the claims of a valid logout token for sub, sid or
// both (either may be empty) addressed to the client aud: this provider's
// issuer, iat now, exp two minutes later, a fresh jti and the back-channel
// logout event. Tests change them to make invalid tokens and sign them
// with SignLogoutToken.
func (p *Provider) LogoutClaims(sub, sid, aud string) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": p.issuer, "aud": aud, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti":    newID(),
		"events": map[string]any{BackChannelLogoutEvent: map[string]any{}},
	}
	if sub != "" {
		c["sub"] = sub
	}
	if sid != "" {
		c["sid"] = sid
	}
	return c
}

// LogoutToken returns a valid logout token (see LogoutClaims) signed with
// the provider's key, as its back-channel logout would send.
func (p *Provider) LogoutToken(sub, sid, aud string) string {
	return p.SignLogoutToken(p.LogoutClaims(sub, sid, aud))
}

// SignLogoutToken signs claims as a logout token (RS256, typ logout+jwt)
// with the key that signs ID tokens: the published one, or the unknown one
// while SignWithUnknownKey is on.
func (p *Provider) SignLogoutToken(claims map[string]any) string {
	p.store.mu.Lock()
	key := p.store.key
	if p.store.signRogue {
		key = p.store.rogue
	}
	p.store.mu.Unlock()
	opts := (&jose.SignerOptions{}).WithType("logout+jwt").WithHeader("kid", key.id)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key.priv}, opts)
	if err != nil {
		panic(fmt.Sprintf("oidctest: logout token signer: %v", err))
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		panic(fmt.Sprintf("oidctest: logout token claims: %v", err))
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		panic(fmt.Sprintf("oidctest: signing a logout token: %v", err))
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		panic(fmt.Sprintf("oidctest: serializing a logout token: %v", err))
	}
	return raw
}

// LogoutResponse is what a relying party's back-channel logout endpoint
// answered.
type LogoutResponse struct {
	Status int
	Header http.Header
	Body   string
}

// PostLogoutToken delivers a logout token as a provider does (section
// 2.5): a POST of application/x-www-form-urlencoded logout_token to the
// relying party's backchannel_logout_uri. form, if not nil, is sent
// instead, for tests of malformed requests.
func PostLogoutToken(ctx context.Context, uri, token string, form url.Values) (*LogoutResponse, error) {
	if form == nil {
		form = url.Values{"logout_token": {token}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return &LogoutResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}, err
}

// BackChannelLogout signs out username's session sid at the provider, as
// a sign-out there does (its refresh and access tokens stop working), and
// then notifies the relying party aud at uri with a logout token naming
// the session and the user's subject. An empty sid signs out every
// session of the user and names only the subject.
func (p *Provider) BackChannelLogout(ctx context.Context, uri, aud, username, sid string) (*LogoutResponse, error) {
	p.store.mu.Lock()
	u, ok := p.store.users[username]
	p.store.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("oidctest: unknown user %q", username)
	}
	p.endSession(username, sid)
	return PostLogoutToken(ctx, uri, p.LogoutToken(u.subject(), sid, aud), nil)
}

// endSession ends one session of username (all of them for an empty sid):
// the tokens issued in it stop working.
func (p *Provider) endSession(username, sid string) {
	if sid == "" {
		p.SignOut(username)
		return
	}
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	for k, rt := range p.store.refresh {
		if rt.username == username && rt.sid == sid {
			delete(p.store.refresh, k)
		}
	}
}
