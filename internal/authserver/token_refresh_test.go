package authserver

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// refreshForm is public-app's refresh request for rt.
func refreshForm(rt string) url.Values {
	return form("grant_type", grantRefreshToken, "refresh_token", rt, "client_id", publicApp)
}

// TestRefreshRotation: every use rotates the refresh token; presenting a
// rotated one again revokes the grant (OAuth 2.1 §4.3.1, RFC 9700
// §4.14.2, AS6), except one retry within the grace for a client that lost
// the response (storage.Rotation.Step, docs/clients.md). Each row is a
// sequence on a fresh grant: token 0 came with the code, token n from the
// n-th successful refresh.
func TestRefreshRotation(t *testing.T) {
	h := newHarness(t)
	type step struct {
		after   time.Duration // the clock moves first
		present int
		err     string // "" for a new pair of tokens
	}
	tests := []struct {
		rule    string
		steps   []step
		revoked bool
	}{
		{"OAuth 2.1 §4.3.1: each refresh rotates; the newest token works",
			[]step{{present: 0}, {present: 1}, {after: time.Hour, present: 2}}, false},
		{"RFC 9700 §4.14.2: a rotated token after the grace revokes the grant, the newest token with it",
			[]step{{present: 0}, {after: reuseGrace, present: 0, err: oauth.ErrInvalidGrant}, {present: 1, err: oauth.ErrInvalidGrant}}, true},
		{"grace: the client that lost the response retries once, and goes on with the retry's token",
			[]step{{present: 0}, {after: reuseGrace - time.Second, present: 0}, {present: 2}}, false},
		{"grace once: a second retry is reuse",
			[]step{{present: 0}, {present: 0}, {present: 0, err: oauth.ErrInvalidGrant}, {present: 2, err: oauth.ErrInvalidGrant}}, true},
		{"grace: the retry retires the lost token; presenting it later is reuse",
			[]step{{present: 0}, {present: 0}, {present: 1, err: oauth.ErrInvalidGrant}, {present: 2, err: oauth.ErrInvalidGrant}}, true},
		{"grace only while the new token is unused: the response was not lost",
			[]step{{present: 0}, {present: 1}, {present: 0, err: oauth.ErrInvalidGrant}, {present: 2, err: oauth.ErrInvalidGrant}}, true},
		{"AS6: a refresh token expires",
			[]step{{after: refreshTTL, present: 0, err: oauth.ErrInvalidGrant}}, false},
		{"AS6: the new token's lifetime starts at the refresh",
			[]step{{after: refreshTTL - time.Minute, present: 0}, {after: refreshTTL - time.Minute, present: 1}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			first, ac := h.redeem(nil)
			issued := []string{first.RefreshToken}
			reuses := h.events.count(audit.RefreshReuse)
			for i, st := range tt.steps {
				h.advance(st.after)
				rec := h.do(formRequest(PathToken, refreshForm(issued[st.present])))
				if st.err != "" {
					if got := oauthError(t, rec); rec.Code != http.StatusBadRequest || got != st.err {
						t.Fatalf("step %d (token %d): %d %s, want 400 %s", i, st.present, rec.Code, rec.Body, st.err)
					}
					continue
				}
				resp := tokenResponse(t, rec)
				if resp.RefreshToken == "" || resp.RefreshToken == issued[st.present] {
					t.Fatalf("step %d: refresh token %q, want a new one", i, resp.RefreshToken)
				}
				if c := h.accessClaims(resp.AccessToken, resSnippets); c.GrantID != ac.GrantID {
					t.Fatalf("step %d: access token of grant %s, want %s", i, c.GrantID, ac.GrantID)
				}
				issued = append(issued, resp.RefreshToken)
			}
			if got := h.grant(ac.GrantID).Revoked(); got != tt.revoked {
				t.Errorf("grant revoked: %v, want %v", got, tt.revoked)
			}
			if got := h.revoked.IsRevoked(ac.GrantID); got != tt.revoked {
				t.Errorf("grant in this replica's revocation list: %v, want %v", got, tt.revoked)
			}
			if got := h.events.count(audit.RefreshReuse) - reuses; got != map[bool]int{true: 1}[tt.revoked] {
				t.Errorf("%d refresh_reuse audit records", got)
			}
		})
	}
}

// TestRefreshGrant: a refresh token is good only for its client, its
// grant's resource, and at most its grant's scopes (OAuth 2.1 §4.3.1, RFC
// 8707 §2.2). A refused request leaves the presented token as it was, so
// it still works afterwards. Each row refreshes a fresh grant of
// public-app for snippets with scopes "snippets offline_access".
func TestRefreshGrant(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		rule   string
		req    func(url.Values)
		status int
		err    string
		scope  string // of the new access token
	}{
		{"OAuth 2.1 §4.3.1: no scope: the grant's scopes", nil, 200, "", "snippets offline_access"},
		{"OAuth 2.1 §4.3.1: the scope may narrow",
			func(f url.Values) { f.Set("scope", "snippets") }, 200, "", "snippets"},
		{"OAuth 2.1 §4.3.1: the scope may not widen to a scope of the resource not granted",
			func(f url.Values) { f.Set("scope", "snippets deploy") }, 400, oauth.ErrInvalidScope, ""},
		{"OAuth 2.1 §4.3.1: the scope may not widen to another resource's scope",
			func(f url.Values) { f.Set("scope", "files") }, 400, oauth.ErrInvalidScope, ""},
		{"RFC 6749 §3.3: a malformed scope",
			func(f url.Values) { f.Set("scope", `snippets "x"`) }, 400, oauth.ErrInvalidScope, ""},
		{"RFC 8707 §2.2: the grant's resource may be named",
			func(f url.Values) { f.Set("resource", resSnippets) }, 200, "", "snippets offline_access"},
		{"RFC 8707 §2.2: another resource is invalid_target",
			func(f url.Values) { f.Set("resource", resFiles) }, 400, oauth.ErrInvalidTarget, ""},
		{"RFC 8707 §2: resource may repeat, but one at a time is this server's limit: invalid_target",
			func(f url.Values) { f.Set("resource", resSnippets); f.Add("resource", resSnippets) }, 400, oauth.ErrInvalidTarget, ""},
		{"RFC 8707 §2.2: the admin API is invalid_target",
			func(f url.Values) { f.Set("resource", resAdmin) }, 400, oauth.ErrInvalidTarget, ""},
		{"OAuth 2.1 §4.3.1: the token is bound to its client",
			func(f url.Values) { f.Set("client_id", skipApp) }, 400, oauth.ErrInvalidGrant, ""},
		{"OAuth 2.1 §4.3: refresh_token is required",
			func(f url.Values) { f.Del("refresh_token") }, 400, oauth.ErrInvalidRequest, ""},
		{"RFC 6749 §5.2: an unknown refresh token",
			func(f url.Values) { f.Set("refresh_token", unknownRefresh) }, 400, oauth.ErrInvalidGrant, ""},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			first, ac := h.redeem(nil)
			f := refreshForm(first.RefreshToken)
			if tt.req != nil {
				tt.req(f)
			}
			rec := h.do(formRequest(PathToken, f))
			wantAnswer(t, rec, tt.status, tt.err)
			if tt.status == http.StatusOK {
				resp := tokenResponse(t, rec)
				if c := h.accessClaims(resp.AccessToken, resSnippets); c.Scope != tt.scope || resp.Scope != tt.scope {
					t.Errorf("scope %q (answer %q), want %q", c.Scope, resp.Scope, tt.scope)
				}
				return
			}
			if h.grant(ac.GrantID).Revoked() {
				t.Error("a refused refresh revoked the grant")
			}
			tokenResponse(t, h.do(formRequest(PathToken, refreshForm(first.RefreshToken))))
		})
	}
}

// TestRefreshGrantType: the refresh_token grant is open to the clients
// refresh tokens are issued to (wantsRefreshToken): those that registered
// the grant, and, where the grant holds offline_access, a client that did
// not (SEP-2207 lets the scope stand for the registration). Each row
// stores a grant with a refresh token as the code grant would have.
func TestRefreshGrantType(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		rule   string
		client string
		scopes []string
		status int
		err    string
	}{
		{"RFC 7591 §2: a client that registered the refresh_token grant", publicApp, []string{"snippets"}, 200, ""},
		{"SEP-2207: offline_access stands for the registration, so its refresh token works",
			dynPublic, []string{"snippets", scopeOfflineAccess}, 200, ""},
		{"RFC 6749 §5.2: neither registered nor offline_access: unauthorized_client",
			dynPublic, []string{"snippets"}, 400, oauth.ErrUnauthorizedClient},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			now := h.clock()
			g := storage.Grant{ID: tokens.NewID(), ClientID: tt.client, Identity: storage.Identity{Subject: aliceSubject},
				Scopes: tt.scopes, Resource: resSnippets, AuthTime: now, CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(grantTTL)}
			rt := tokens.NewOpaque(tokens.PrefixRefreshToken)
			err := h.store.CreateGrant(t.Context(), g, &storage.RefreshToken{Hash: tokens.Hash(rt), GrantID: g.ID, CreatedAt: now, ExpiresAt: now.Add(refreshTTL)})
			if err != nil {
				t.Fatal(err)
			}
			f := refreshForm(rt)
			f.Set("client_id", tt.client)
			wantAnswer(t, h.do(formRequest(PathToken, f)), tt.status, tt.err)
		})
	}
}
