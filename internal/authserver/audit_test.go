package authserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// since returns the events recorded after the first n.
func (l *eventLog) since(n int) []audit.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]audit.Event(nil), l.events[n:]...)
}

func (l *eventLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

func types(es []audit.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Type)
	}
	return out
}

// TestAuditTracesOneAttempt: a whole authorization leaves one event per
// step, tied together: the steps of the browser by Attempt, the code and
// the token by GrantID (what package timeline groups by). No event holds
// the request's id, the state, the code or the verifier.
func TestAuditTracesOneAttempt(t *testing.T) {
	h := newHarness(t)
	b := &browser{}
	q := authorizeQuery()
	n := h.events.len()
	id, rec := h.signIn(b, q)
	if !wantsConsent(rec) {
		t.Fatalf("sign-in: %d, want the consent page", rec.Code)
	}
	code := codeFrom(t, h.answerConsent(b, id, "approve"), q)
	tok := formRequest(PathToken, form("grant_type", grantAuthorizationCode, "code", code, "code_verifier", flowVerifier,
		"redirect_uri", q.Get("redirect_uri"), "client_id", publicApp))
	tok.Header.Set("User-Agent", "node\x00 (mcp-remote)\n")
	tokenResponse(t, h.do(tok))

	es := h.events.since(n)
	want := []string{audit.AuthorizeStarted, audit.SignInSucceeded, audit.ConsentGiven, audit.AuthorizeCompleted, audit.TokenIssued}
	if got := types(es); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events = %v, want %v", got, want)
	}
	attempt := es[0].Attempt
	for _, e := range es[:4] {
		if e.Attempt == "" || e.Attempt != attempt || e.ClientID != publicApp {
			t.Errorf("%s: attempt %q client %q, want %q and %q", e.Type, e.Attempt, e.ClientID, attempt, publicApp)
		}
	}
	if es[3].GrantID == "" || es[3].GrantID != es[4].GrantID {
		t.Errorf("authorize.completed grant %q, token.issued grant %q: want the same", es[3].GrantID, es[4].GrantID)
	}
	if es[3].Rule != "consent_given" || es[0].Resource != resSnippets {
		t.Errorf("completed rule %q, started resource %q", es[3].Rule, es[0].Resource)
	}
	if es[4].UserAgent != "node  (mcp-remote)" {
		t.Errorf("token.issued user agent %q, want it cleaned", es[4].UserAgent)
	}
	raw, _ := json.Marshal(es)
	for _, secret := range []string{id, q.Get("state"), code, flowVerifier, b.secret} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("an event holds %q", secret)
		}
	}
}

// TestAuditRecordsRefusals: every way /authorize and /token refuse leaves
// an event naming the client, the error and why in words, with what the
// client asked for.
func TestAuditRecordsRefusals(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name           string
		edit           func(url.Values)
		reason, detail string
		client         string
	}{
		{"unknown resource", func(q url.Values) { q.Set("resource", "https://mcp.example/other") },
			oauth.ErrInvalidTarget, "not served by this authorization server", publicApp},
		{"redirect_uri not registered", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") },
			"redirect_uri_mismatch", `"https://evil.example/cb" is not one the client registered`, publicApp},
		{"no redirect_uri", func(q url.Values) { q.Del("redirect_uri") }, "redirect_uri_mismatch", "no redirect_uri was sent", publicApp},
		{"unknown client", func(q url.Values) { q.Set("client_id", "nobody") }, "unknown_client", "not registered", "nobody"},
		{"client_id that cannot be stored", func(q url.Values) { q.Set("client_id", "a\x00b") }, "unknown_client", "not registered", ""},
		{"plain PKCE", func(q url.Values) { q.Set("code_challenge_method", "plain") }, oauth.ErrInvalidRequest, "S256", publicApp},
		{"repeated scope", func(q url.Values) { q.Add("scope", "deploy") }, "duplicate_parameter", "scope appears more than once", publicApp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := authorizeQuery()
			tt.edit(q)
			n := h.events.len()
			h.get(&browser{}, PathAuthorize+"?"+q.Encode())
			es := h.events.since(n)
			if len(es) != 1 || es[0].Type != audit.AuthorizeRefused {
				t.Fatalf("events = %v, want one %s", types(es), audit.AuthorizeRefused)
			}
			e := es[0]
			if e.Reason != tt.reason || !strings.Contains(e.Detail, tt.detail) || e.ClientID != tt.client || e.Attempt != "" {
				t.Errorf("event = %+v, want reason %q, detail with %q, client %q", e, tt.reason, tt.detail, tt.client)
			}
			if tt.name == "unknown resource" && e.Resource != "https://mcp.example/other" {
				t.Errorf("resource = %q, want what the client asked for", e.Resource)
			}
		})
	}
}

// TestAuditRecordsTokenFailures: a failed code redemption names the grant
// the code was for only when the caller is the code's client, so that the
// timeline shows a PKCE failure in its attempt, while another client
// learns nothing about the code through the trail.
func TestAuditRecordsTokenFailures(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name     string
		edit     func(url.Values)
		reason   string
		detail   string
		client   string
		hasGrant bool
	}{
		{"PKCE verifier does not match", func(f url.Values) { f.Set("code_verifier", "x"+flowVerifier[1:]) },
			oauth.ErrInvalidGrant, "code_verifier does not match", publicApp, true},
		{"redirect_uri differs", func(f url.Values) { f.Set("redirect_uri", appRedirect) },
			oauth.ErrInvalidGrant, "redirect_uri does not match", publicApp, true},
		{"another client's code", func(f url.Values) { f.Set("client_id", dynPublic) },
			oauth.ErrInvalidGrant, "issued to another client", dynPublic, false},
		{"unknown client", func(f url.Values) { f.Set("client_id", "nobody") },
			oauth.ErrInvalidClient, "client authentication failed", "nobody", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, ac := h.issueCode(nil)
			f := redeemForm(code, ac)
			tt.edit(f)
			n := h.events.len()
			r := formRequest(PathToken, f)
			r.Header.Set("User-Agent", "python-httpx/0.28")
			if rec := h.do(r); rec.Code == http.StatusOK {
				t.Fatal("redeemed")
			}
			var e *audit.Event
			for _, ev := range h.events.since(n) {
				if ev.Type == audit.TokenFailed {
					e = &ev
				}
			}
			if e == nil {
				t.Fatalf("no %s event", audit.TokenFailed)
			}
			if e.Reason != tt.reason || !strings.Contains(e.Detail, tt.detail) || e.ClientID != tt.client ||
				(e.GrantID == ac.GrantID) != tt.hasGrant || e.GrantType != grantAuthorizationCode || e.UserAgent != "python-httpx/0.28" {
				t.Errorf("event = %+v, want reason %q, detail with %q, client %q, grant named %v", *e, tt.reason, tt.detail, tt.client, tt.hasGrant)
			}
			if !tt.hasGrant && e.GrantID != "" {
				t.Errorf("grant %q named to a caller that is not the code's client", e.GrantID)
			}
		})
	}
}

// TestAuditRecordsRegistrationUserAgent: a dynamic registration records the
// client's User-Agent, by which package timeline recognises clients.
func TestAuditRecordsRegistrationUserAgent(t *testing.T) {
	h := newHarness(t)
	n := h.events.len()
	r := httptest.NewRequest(http.MethodPost, PathRegister, strings.NewReader(`{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none","client_name":"Cursor"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "Cursor/1.2 "+strings.Repeat("x", 300))
	if rec := h.do(r); rec.Code != http.StatusCreated {
		t.Fatalf("register: %d %s", rec.Code, rec.Body)
	}
	es := h.events.since(n)
	if len(es) != 1 || es[0].Type != audit.ClientRegistered || !strings.HasPrefix(es[0].UserAgent, "Cursor/1.2 ") || len(es[0].UserAgent) > 204 {
		t.Errorf("events = %+v", es)
	}
	if _, err := h.store.GetClient(t.Context(), es[0].ClientID); err != nil {
		t.Errorf("registered client %q: %v", es[0].ClientID, err)
	}
}
