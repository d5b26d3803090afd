package authserver

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// forget removes alice's consents, so that the next flow asks again.
func (h *harness) forget(clients ...string) {
	h.t.Helper()
	for _, c := range clients {
		if err := h.store.DeleteConsent(h.t.Context(), aliceSubject, c); err != nil && !errors.Is(err, storage.ErrNotFound) {
			h.t.Fatal(err)
		}
	}
}

// consent is what alice approved public-app for (nil: nothing).
func (h *harness) consent(clientID string) map[string][]string {
	h.t.Helper()
	c, err := h.store.GetConsent(h.t.Context(), aliceSubject, clientID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return c.Approved
}

// TestConsentForm: the consent form (SEC1) is answered only from the
// browser that started the request, with the CSRF token of that request;
// Allow records the consent server-side and sends a code, Deny sends
// access_denied (RFC 6749 §4.1.2.1), both with state and iss. A refused
// form approves nothing and leaves the request to be answered.
func TestConsentForm(t *testing.T) {
	h := newHarness(t)
	// answer is the form as the page would send it.
	answer := func(action string) func(*browser, string) url.Values {
		return func(b *browser, id string) url.Values {
			return form("req", id, "csrf", csrfToken(b.secret, id), "action", action)
		}
	}
	tests := []struct {
		rule string
		// form is the submitted form for request id, from browser b.
		form func(b *browser, id string) url.Values
		// otherBrowser: the form comes from a browser that did not start it.
		otherBrowser bool
		page         int    // status of a page (nothing sent to the client)
		err          string // error sent to the client
	}{
		{rule: "SEC1: Allow records the consent and sends a code", form: answer("approve")},
		{rule: "RFC 6749 §4.1.2.1: Deny sends access_denied", form: answer("deny"), err: oauth.ErrAccessDenied},
		{rule: "SEC1: the CSRF token is required",
			form: func(_ *browser, id string) url.Values { return form("req", id, "action", "approve") }, page: 403},
		{rule: "SEC1: the CSRF token is that of this request",
			form: func(b *browser, id string) url.Values {
				return form("req", id, "csrf", csrfToken(b.secret, tokens.NewID()), "action", "approve")
			}, page: 403},
		{rule: "SEC1: the CSRF token derives from this browser's secret",
			form: func(_ *browser, id string) url.Values {
				return form("req", id, "csrf", csrfToken(tokens.NewOpaque("dbb_"), id), "action", "approve")
			}, page: 403},
		{rule: "the request is answered only in the browser that started it", form: answer("approve"), otherBrowser: true, page: 403},
		{rule: "the answer is Allow or Deny", form: answer("maybe"), page: 400},
		{rule: "the form names its request",
			form: func(b *browser, id string) url.Values {
				return form("csrf", csrfToken(b.secret, id), "action", "approve")
			}, page: 400},
		{rule: "an unknown request is gone",
			form: func(b *browser, _ string) url.Values {
				return form("req", "unknown", "csrf", csrfToken(b.secret, "unknown"), "action", "approve")
			}, page: 400},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			h.forget(publicApp)
			q := authorizeQuery()
			b := &browser{}
			id, rec := h.signIn(b, q)
			if !wantsConsent(rec) {
				t.Fatalf("sign-in: %d to %v, want the consent page", rec.Code, location(rec))
			}
			from := b
			if tt.otherBrowser {
				from = &browser{}
				h.get(from, PathAuthorize+"?"+q.Encode()) // it has a cookie of its own
			}
			given := h.events.count(audit.ConsentGiven)
			rec = h.post(from, PathConsent, tt.form(from, id))
			switch {
			case tt.page != 0:
				if rec.Code != tt.page || location(rec) != nil {
					t.Fatalf("%d to %v, want a %d page and no redirect", rec.Code, location(rec), tt.page)
				}
				if h.consent(publicApp) != nil || h.events.count(audit.ConsentGiven) != given {
					t.Fatal("a refused form recorded a consent")
				}
				// Nothing was answered: the real form still works.
				codeFrom(t, h.answerConsent(b, id, "approve"), q)
			case tt.err != "":
				wantErrorRedirect(t, rec, q, tt.err)
				if h.consent(publicApp) != nil {
					t.Error("a denial recorded a consent")
				}
				// The request is over.
				if again := h.answerConsent(b, id, "approve"); again.Code != http.StatusBadRequest || location(again) != nil {
					t.Errorf("approving after the denial: %d to %v, want a page", again.Code, location(again))
				}
			default:
				codeFrom(t, rec, q)
				if got := h.consent(publicApp); !slices.Equal(got[resSnippets], []string{"snippets", scopeOfflineAccess}) || len(got) != 1 {
					t.Errorf("consent recorded %v, want snippets and offline_access for %s only", got, resSnippets)
				}
				if h.events.count(audit.ConsentGiven) != given+1 {
					t.Error("no consent.given audit record")
				}
				// One answer per request: a resubmitted form gets no second code.
				if again := h.answerConsent(b, id, "approve"); again.Code != http.StatusBadRequest || location(again) != nil {
					t.Errorf("resubmitting: %d to %v, want a page", again.Code, location(again))
				}
			}
		})
	}
}

// TestConsentPerServer: a consent is recorded per user, client and server
// (SEC1): it covers later requests of the same client for the same server
// and at most the same scopes, and nothing else, even where scope names
// are the same (offline_access for one MCP server is not offline_access
// for the next). Each row approves a first request, then signs in for a
// second one.
func TestConsentPerServer(t *testing.T) {
	h := newHarness(t)
	type request struct{ client, resource, scope string }
	tests := []struct {
		rule          string
		first, second request
		asked         bool
	}{
		{"SEC1: the same client, server and scopes: not asked again",
			request{publicApp, resSnippets, "snippets"}, request{publicApp, resSnippets, "snippets"}, false},
		{"SEC1: fewer scopes: not asked again",
			request{publicApp, resSnippets, "snippets offline_access"}, request{publicApp, resSnippets, "snippets"}, false},
		{"SEC1: more scopes: asked again",
			request{publicApp, resSnippets, "snippets"}, request{publicApp, resSnippets, "snippets snippets:delete"}, true},
		{"SEC1: a consent for one server does not cover another",
			request{publicApp, resSnippets, "snippets offline_access"}, request{publicApp, resFiles, "files"}, true},
		{"SEC1: not even for a scope of the same name",
			request{publicApp, resSnippets, scopeOfflineAccess}, request{publicApp, resFiles, scopeOfflineAccess}, true},
		{"SEC1: a consent for one client does not cover another",
			request{publicApp, resSnippets, "snippets"}, request{dynPublic, resSnippets, "snippets"}, true},
		{"a client the operator marked skip_consent is never asked",
			request{publicApp, resFiles, "files"}, request{skipApp, resSnippets, "snippets"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			h.forget(publicApp, dynPublic, skipApp)
			query := func(r request) url.Values {
				q := authorizeQuery()
				q.Set("client_id", r.client)
				q.Set("redirect_uri", "http://127.0.0.1:5555/cb")
				q.Set("resource", r.resource)
				q.Set("scope", r.scope)
				return q
			}
			b := &browser{}
			h.authorizeCode(b, query(tt.first))
			q := query(tt.second)
			id, rec := h.signIn(b, q)
			if wantsConsent(rec) != tt.asked {
				t.Fatalf("asked for consent: %v, want %v (%d to %v)", wantsConsent(rec), tt.asked, rec.Code, location(rec))
			}
			if !tt.asked {
				codeFrom(t, rec, q)
				return
			}
			codeFrom(t, h.answerConsent(b, id, "approve"), q)
			if tt.first.client != tt.second.client {
				return
			}
			// Approvals add up, server by server.
			first, _ := oauth.ParseScope(tt.first.scope)
			second, _ := oauth.ParseScope(tt.second.scope)
			got := h.consent(tt.first.client)
			if !slices.Equal(got[tt.second.resource], oauth.ScopeUnion(scopesIf(tt.first.resource == tt.second.resource, first), second)) ||
				(tt.first.resource != tt.second.resource && !slices.Equal(got[tt.first.resource], first)) {
				t.Errorf("consent recorded %v", got)
			}
		})
	}
}

func scopesIf(cond bool, s []string) []string {
	if cond {
		return s
	}
	return nil
}

// TestConsentPage: the page says who asks (a name the client chose is
// marked unverified), where the answer goes, what is new and what was
// allowed before for this server; it may not be framed or cached; and its
// form, as served, is accepted.
func TestConsentPage(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.ScopeDescriptions = map[string]string{"snippets:delete": "delete your snippets"} })
	b := &browser{}
	q := authorizeQuery()
	q.Set("client_id", dynPublic)
	q.Set("scope", "snippets")
	h.authorizeCode(b, q)
	q.Set("scope", "snippets snippets:delete")
	id, rec := h.signIn(b, q)
	if !wantsConsent(rec) {
		t.Fatalf("sign-in: %d to %v, want the consent page", rec.Code, location(rec))
	}
	page := h.get(b, PathConsent+"?req="+url.QueryEscape(id))
	body := page.Body.String()
	hd := page.Header()
	if page.Code != http.StatusOK || hd.Get("X-Frame-Options") != "DENY" || hd.Get("Cache-Control") != "no-store" ||
		!strings.Contains(hd.Get("Content-Security-Policy"), "form-action 'self' http://127.0.0.1:49152") {
		t.Errorf("%d %v", page.Code, hd)
	}
	for _, want := range []string{
		"<strong>" + dynPublic + "</strong> <span class=\"tag\"", // a registered name is self-asserted
		"<strong>Snippets</strong> as <strong>alice@example.com</strong>",
		"<code>http://127.0.0.1:49152</code>",
		"<li><code>snippets:delete</code> — delete your snippets</li>",
		"Already allowed</dt><dd><code>snippets</code>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<li><code>snippets</code>") {
		t.Error("a scope allowed before is listed as new")
	}
	// Another browser sees no page: the request is this browser's.
	if other := h.get(&browser{}, PathConsent+"?req="+url.QueryEscape(id)); other.Code != http.StatusForbidden || strings.Contains(other.Body.String(), "csrf") {
		t.Errorf("another browser: %d\n%s", other.Code, other.Body)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token in the form")
	}
	codeFrom(t, h.post(b, PathConsent, form("req", id, "csrf", html.UnescapeString(m[1]), "action", "approve")), q)
}

// TestConsentNeedsSignIn: a request nobody signed in for cannot be
// approved, whatever the form says: consent comes after sign-in.
func TestConsentNeedsSignIn(t *testing.T) {
	h := newHarness(t)
	b := &browser{}
	rec := h.get(b, PathAuthorize+"?"+authorizeQuery().Encode())
	id := location(rec).Query().Get("req")
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		if method == http.MethodGet {
			rec = h.get(b, PathConsent+"?req="+url.QueryEscape(id))
		} else {
			rec = h.answerConsent(b, id, "approve")
		}
		if rec.Code != http.StatusBadRequest || location(rec) != nil || h.consent(publicApp) != nil {
			t.Errorf("%s before sign-in: %d to %v, consent %v; want a page and nothing approved", method, rec.Code, location(rec), h.consent(publicApp))
		}
	}
}

// TestConsentClientGone: a client disabled while its user looked at the
// consent page gets nothing: no code, and no error sent to its redirect
// URI either, since it is no longer trusted with one.
func TestConsentClientGone(t *testing.T) {
	h := newHarness(t)
	b := &browser{}
	q := authorizeQuery()
	q.Set("client_id", dynPublic)
	id, rec := h.signIn(b, q)
	if !wantsConsent(rec) {
		t.Fatalf("sign-in: %d to %v, want the consent page", rec.Code, location(rec))
	}
	err := h.store.UpdateClient(t.Context(), dynPublic, func(c storage.Client) (storage.Client, error) {
		c.Disabled = true
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{"approve", "deny"} {
		rec = h.answerConsent(b, id, action)
		if rec.Code != http.StatusBadRequest || location(rec) != nil || h.consent(dynPublic) != nil {
			t.Errorf("%s: %d to %v; want a page, no redirect and nothing approved", action, rec.Code, location(rec))
		}
	}
}
