package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

const issuer = "https://gw.example"

var clock = time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)

// events keeps what the API records.
type events struct {
	mu sync.Mutex
	es []audit.Event
}

func (e *events) Record(ev audit.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.es = append(e.es, ev)
}

func (e *events) types() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.es {
		out = append(out, ev.Type+" "+ev.Name+ev.GrantID)
	}
	return out
}

// harness is the admin API over a real SQLite store and real keys, behind
// the client-address middleware the server puts in front of it.
type harness struct {
	t       *testing.T
	store   storage.Store
	keys    *tokens.Keys
	revoked *tokens.RevocationList
	events  *events
	handler http.Handler
}

func newHarness(t *testing.T, edit ...func(*admin.Options)) *harness {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	now := func() time.Time { return clock }
	ring, err := tokens.NewKeyring([]tokens.RingKey{{ID: "k1", Key: tokens.GenerateKey()}})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := tokens.LoadKeys(ctx, st, ring, now)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, store: st, keys: keys, events: &events{}}
	h.revoked = tokens.NewRevocationList(st, now, time.Hour)
	o := admin.Options{Issuer: issuer, Store: st, Keys: keys,
		Revoker:  revoke.New(revoke.Options{Store: st, List: h.revoked, Audit: h.events, Now: now}),
		Verifier: &tokens.Verifier{Keys: keys, Issuer: issuer, Revoked: h.revoked, Now: now},
		Users:    []string{"local:root"}, Groups: []string{"ops"}, Record: h.events, Now: now}
	for _, e := range edit {
		e(&o)
	}
	mux := http.NewServeMux()
	admin.New(o).Routes(mux)
	res, err := clientaddr.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	h.handler = res.Middleware(mux)
	return h
}

// token mints an access token; edit changes the claims of an
// administrator's token for the API.
func (h *harness) token(edit func(*tokens.AccessClaims)) string {
	c := tokens.AccessClaims{Issuer: issuer, Subject: "local:root", Audience: issuer + admin.Path, ClientID: "console",
		Scope: admin.Scope, GrantID: "g-admin", IssuedAt: clock, Expiry: clock.Add(time.Hour)}
	if edit != nil {
		edit(&c)
	}
	raw, err := h.keys.Mint(c)
	if err != nil {
		h.t.Fatal(err)
	}
	return raw
}

// do sends method path with the token (none when empty) from remote and
// returns the status, the WWW-Authenticate header and the JSON body.
func (h *harness) do(method, path, token, remote string) (int, string, map[string]any) {
	h.t.Helper()
	r := httptest.NewRequest(method, path, nil)
	if remote != "" {
		r.RemoteAddr = remote
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.handler.ServeHTTP(w, r)
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		h.t.Errorf("%s %s: Cache-Control %q, want no-store", method, path, cc)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		h.t.Fatalf("%s %s: body %q is not JSON: %v", method, path, w.Body.String(), err)
	}
	return w.Code, w.Header().Get("WWW-Authenticate"), body
}

// TestGuard: only an administrator's token for this API, carrying the
// admin scope, from an allowed network, gets through (RFC 6750 §3 for the
// challenges, RFC 8707 for the audience).
func TestGuard(t *testing.T) {
	h := newHarness(t)
	limited := newHarness(t, func(o *admin.Options) { o.AllowedNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	for _, tc := range []struct {
		name       string
		h          *harness
		token      func(h *harness) string
		remote     string
		wantStatus int
		wantError  string
		// wantChallenge is a fragment of WWW-Authenticate ("" for none).
		wantChallenge string
	}{
		{name: "no token: 401 with the metadata URL", h: h, token: func(*harness) string { return "" },
			wantStatus: 401, wantError: "invalid_token", wantChallenge: `resource_metadata="https://gw.example/.well-known/oauth-protected-resource/admin"`},
		{name: "not a token", h: h, token: func(*harness) string { return "not-a-jwt" },
			wantStatus: 401, wantError: "invalid_token", wantChallenge: `error="invalid_token"`},
		{name: "a token for an MCP server, not the API", h: h,
			token:      func(h *harness) string { return h.token(func(c *tokens.AccessClaims) { c.Audience = issuer + "/mcp" }) },
			wantStatus: 401, wantError: "invalid_token", wantChallenge: `error="invalid_token"`},
		{name: "expired", h: h,
			token: func(h *harness) string {
				return h.token(func(c *tokens.AccessClaims) { c.Expiry = clock.Add(-time.Hour) })
			},
			wantStatus: 401, wantError: "invalid_token"},
		{name: "another issuer's token", h: h,
			token: func(h *harness) string {
				return h.token(func(c *tokens.AccessClaims) { c.Issuer = "https://evil.example" })
			},
			wantStatus: 401, wantError: "invalid_token"},
		{name: "no admin scope: 403 insufficient_scope", h: h,
			token:      func(h *harness) string { return h.token(func(c *tokens.AccessClaims) { c.Scope = "snippets" }) },
			wantStatus: 403, wantError: "insufficient_scope", wantChallenge: `scope="admin"`},
		{name: "a scope that only contains the word", h: h,
			token:      func(h *harness) string { return h.token(func(c *tokens.AccessClaims) { c.Scope = "administrator" }) },
			wantStatus: 403, wantError: "insufficient_scope"},
		{name: "a user who is not an administrator", h: h,
			token:      func(h *harness) string { return h.token(func(c *tokens.AccessClaims) { c.Subject = "local:alice" }) },
			wantStatus: 403, wantError: "forbidden"},
		{name: "subjects compare exactly", h: h,
			token:      func(h *harness) string { return h.token(func(c *tokens.AccessClaims) { c.Subject = "local:ROOT" }) },
			wantStatus: 403, wantError: "forbidden"},
		{name: "a member of an administrators' group", h: h,
			token: func(h *harness) string {
				return h.token(func(c *tokens.AccessClaims) { c.Subject, c.Groups = "local:alice", []string{"eng", "ops"} })
			},
			wantStatus: 200},
		{name: "an administrator", h: h, token: func(h *harness) string { return h.token(nil) }, wantStatus: 200},
		{name: "an administrator outside the allowed networks", h: limited,
			token: func(h *harness) string { return h.token(nil) }, remote: "192.0.2.1:4000", wantStatus: 403, wantError: "forbidden"},
		{name: "an administrator inside the allowed networks", h: limited,
			token: func(h *harness) string { return h.token(nil) }, remote: "10.1.2.3:4000", wantStatus: 200},
		{name: "a network check comes before the token", h: limited,
			token: func(*harness) string { return "" }, remote: "192.0.2.1:4000", wantStatus: 403, wantError: "forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, challenge, body := tc.h.do("GET", "/admin/api/clients", tc.token(tc.h), tc.remote)
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d (%v)", status, tc.wantStatus, body)
			}
			if tc.wantError != "" && body["error"] != tc.wantError {
				t.Errorf("error %v, want %s", body["error"], tc.wantError)
			}
			if tc.wantStatus == 200 && body["clients"] == nil {
				t.Errorf("body %v has no clients", body)
			}
			if !strings.Contains(challenge, tc.wantChallenge) {
				t.Errorf("WWW-Authenticate %q, want it to contain %q", challenge, tc.wantChallenge)
			}
		})
	}
}

// TestRevokedAdminToken: an administrator's token whose grant is revoked
// is refused at once on this replica.
func TestRevokedAdminToken(t *testing.T) {
	h := newHarness(t)
	tok := h.token(nil)
	if status, _, _ := h.do("GET", "/admin/api/clients", tok, ""); status != 200 {
		t.Fatalf("before: %d", status)
	}
	h.revoked.Add("g-admin", clock)
	if status, _, body := h.do("GET", "/admin/api/clients", tok, ""); status != 401 || body["error"] != "invalid_token" {
		t.Fatalf("after revocation: %d %v", status, body)
	}
}

// seed stores a registered client with two live grants, another client
// with one, and a client ID metadata document's client.
func seed(t *testing.T, st storage.Store) {
	t.Helper()
	ctx := t.Context()
	for _, c := range []storage.Client{
		{ID: "dcr-1", Name: "Registered", Kind: storage.ClientKindDynamic, RedirectURIs: []string{"http://127.0.0.1/cb"}, CreatedAt: clock},
		{ID: "dcr-2", Name: "Other", Kind: storage.ClientKindDynamic, RedirectURIs: []string{"http://127.0.0.1/cb"}, CreatedAt: clock},
	} {
		if err := st.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []struct{ id, client, user string }{
		{"g-1", "dcr-1", "local:alice"}, {"g-2", "dcr-1", "local:bob"}, {"g-3", "dcr-2", "local:alice"},
	} {
		err := st.CreateGrant(ctx, storage.Grant{ID: g.id, ClientID: g.client, Identity: storage.Identity{Subject: g.user},
			Scopes: []string{"snippets"}, Resource: issuer + "/mcp", CreatedAt: clock, ExpiresAt: clock.Add(24 * time.Hour)}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestActions: each action's answer, what it changed in the store, and
// its audit records. Refusals change nothing and record nothing.
func TestActions(t *testing.T) {
	for _, tc := range []struct {
		name, method, path string
		wantStatus         int
		wantBody           map[string]any
		// wantLive are the grants still live afterwards.
		wantLive  []string
		wantAudit []string
	}{
		{name: "disable a client revokes its grants", method: "POST", path: "/admin/api/clients/dcr-1/disable",
			wantStatus: 200, wantBody: map[string]any{"client_id": "dcr-1", "disabled": true, "grants_revoked": 2.0},
			wantLive:  []string{"g-3"},
			wantAudit: []string{"grant.revoked g-1", "grant.revoked g-2", "admin.client_disabled dcr-1"}},
		{name: "enable a client", method: "POST", path: "/admin/api/clients/dcr-2/enable",
			wantStatus: 200, wantBody: map[string]any{"client_id": "dcr-2", "disabled": false},
			wantLive: []string{"g-1", "g-2", "g-3"}, wantAudit: []string{"admin.client_enabled dcr-2"}},
		{name: "delete a client", method: "DELETE", path: "/admin/api/clients/dcr-2",
			wantStatus: 200, wantBody: map[string]any{"client_id": "dcr-2", "deleted": true, "grants_revoked": 1.0},
			wantLive: []string{"g-1", "g-2"}, wantAudit: []string{"grant.revoked g-3", "admin.client_deleted dcr-2"}},
		{name: "disable an unknown client", method: "POST", path: "/admin/api/clients/nobody/disable",
			wantStatus: 404, wantBody: map[string]any{"error": "not_found"}, wantLive: []string{"g-1", "g-2", "g-3"}},
		{name: "delete an unknown client", method: "DELETE", path: "/admin/api/clients/nobody",
			wantStatus: 404, wantBody: map[string]any{"error": "not_found"}, wantLive: []string{"g-1", "g-2", "g-3"}},
		{name: "revoke a grant", method: "POST", path: "/admin/api/grants/g-2/revoke",
			wantStatus: 200, wantBody: map[string]any{"grant_id": "g-2", "revoked": true},
			wantLive: []string{"g-1", "g-3"}, wantAudit: []string{"grant.revoked g-2", "admin.grant_revoked g-2"}},
		{name: "revoke an unknown grant", method: "POST", path: "/admin/api/grants/g-none/revoke",
			wantStatus: 404, wantBody: map[string]any{"error": "not_found"}, wantLive: []string{"g-1", "g-2", "g-3"}},
		{name: "revoke a user's grants", method: "POST", path: "/admin/api/grants/revoke?user=local:alice",
			wantStatus: 200, wantBody: map[string]any{"grants_revoked": 2.0}, wantLive: []string{"g-2"},
			wantAudit: []string{"grant.revoked g-1", "grant.revoked g-3", "admin.grants_revoked local:alice "}},
		{name: "revoke a user's grants at one client", method: "POST", path: "/admin/api/grants/revoke?user=local:alice&client=dcr-2",
			wantStatus: 200, wantBody: map[string]any{"grants_revoked": 1.0}, wantLive: []string{"g-1", "g-2"},
			wantAudit: []string{"grant.revoked g-3", "admin.grants_revoked local:alice dcr-2"}},
		{name: "revoking everyone's grants is refused", method: "POST", path: "/admin/api/grants/revoke",
			wantStatus: 400, wantBody: map[string]any{"error": "invalid_request"}, wantLive: []string{"g-1", "g-2", "g-3"}},
		{name: "an empty user is no filter", method: "POST", path: "/admin/api/grants/revoke?user=&client=",
			wantStatus: 400, wantBody: map[string]any{"error": "invalid_request"}, wantLive: []string{"g-1", "g-2", "g-3"}},
		{name: "a bad page size", method: "GET", path: "/admin/api/grants?limit=ten",
			wantStatus: 400, wantBody: map[string]any{"error": "invalid_request"}, wantLive: []string{"g-1", "g-2", "g-3"}},
		{name: "a bad cursor", method: "GET", path: "/admin/api/grants?after=%ff",
			wantStatus: 400, wantBody: map[string]any{"error": "invalid_request"}, wantLive: []string{"g-1", "g-2", "g-3"}},
		{name: "consents need a user", method: "GET", path: "/admin/api/consents",
			wantStatus: 400, wantBody: map[string]any{"error": "invalid_request"}, wantLive: []string{"g-1", "g-2", "g-3"}},
		{name: "withdrawing a consent needs a user and a client", method: "DELETE", path: "/admin/api/consents?user=local:alice",
			wantStatus: 400, wantBody: map[string]any{"error": "invalid_request"}, wantLive: []string{"g-1", "g-2", "g-3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			seed(t, h.store)
			status, _, body := h.do(tc.method, tc.path, h.token(nil), "")
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d (%v)", status, tc.wantStatus, body)
			}
			for k, v := range tc.wantBody {
				if body[k] != v {
					t.Errorf("%s = %v (%T), want %v", k, body[k], body[k], v)
				}
			}
			gs, err := h.store.ListGrants(t.Context(), storage.GrantFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var live []string
			for _, g := range gs {
				if !g.Revoked() {
					live = append(live, g.ID)
				} else if !g.RevokedAt.Equal(clock) || !h.revoked.IsRevoked(g.ID) {
					t.Errorf("grant %s revoked at %v (clock %v), in this replica's list: %v", g.ID, g.RevokedAt, clock, h.revoked.IsRevoked(g.ID))
				}
			}
			slices.Sort(live)
			if !slices.Equal(live, tc.wantLive) {
				t.Errorf("live grants %v, want %v", live, tc.wantLive)
			}
			got := h.events.types()
			slices.Sort(got)
			want := slices.Clone(tc.wantAudit)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("audit %q\nwant  %q", got, want)
			}
			for _, ev := range h.events.es {
				if strings.HasPrefix(ev.Type, "admin.") && (ev.Subject != "local:root" || ev.ClientID != "console" || !ev.Time.Equal(clock)) {
					t.Errorf("admin record %+v does not name the administrator, their client and the clock", ev)
				}
			}
		})
	}
}

// TestReloadServer: POST /admin/api/servers/reload reads a server's
// OpenAPI documents again, for an administrator only, and audits the
// attempt with who made it; a server without a document, an unknown one
// or none named is refused without reloading anything.
func TestReloadServer(t *testing.T) {
	var reloads int
	var fail error
	h := newHarness(t, func(o *admin.Options) {
		o.Backends = []admin.Backend{
			{Name: "petstore", Reload: func(context.Context) error { reloads++; return fail }},
			{Name: "snippets", Upstream: "http://127.0.0.1:1/mcp"},
		}
	})
	notAdmin := h.token(func(c *tokens.AccessClaims) { c.Subject = "local:mallory" })
	for _, tc := range []struct {
		name, method, path, token string
		fail                      error
		wantStatus                int
		wantError, wantMessage    string
		wantReloads               int
		wantAudit                 []string
	}{
		{name: "not an administrator", method: "POST", path: "/admin/api/servers/reload?server=petstore", token: notAdmin, wantStatus: 403},
		{name: "no server", method: "POST", path: "/admin/api/servers/reload", wantStatus: 400, wantError: "invalid_request", wantMessage: "server is required"},
		{name: "unknown server", method: "POST", path: "/admin/api/servers/reload?server=nope", wantStatus: 404, wantError: "not_found"},
		{name: "no document", method: "POST", path: "/admin/api/servers/reload?server=snippets", wantStatus: 400, wantError: "invalid_request",
			wantMessage: "the server has no OpenAPI document to reload: snippets"},
		{name: "reloaded", method: "POST", path: "/admin/api/servers/reload?server=petstore", wantStatus: 200, wantReloads: 1,
			wantAudit: []string{"admin.server_reloaded petstore local:root"}},
		{name: "failed", method: "POST", path: "/admin/api/servers/reload?server=petstore", fail: errors.New("petstore: openapi document https://api.example/openapi.yaml: HTTP 500"),
			wantStatus: 502, wantError: "reload_failed", wantReloads: 1,
			wantMessage: "reload failed; the tools already served stay: petstore: openapi document https://api.example/openapi.yaml: HTTP 500",
			wantAudit:   []string{"admin.server_reload_failed petstore local:root"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reloads, fail = 0, tc.fail
			h.events.mu.Lock()
			h.events.es = nil
			h.events.mu.Unlock()
			token := tc.token
			if token == "" {
				token = h.token(nil)
			}
			status, _, body := h.do(tc.method, tc.path, token, "")
			if status != tc.wantStatus || (tc.wantError != "" && body["error"] != tc.wantError) || (tc.wantMessage != "" && body["message"] != tc.wantMessage) {
				t.Errorf("%d %v, want %d %s %q", status, body, tc.wantStatus, tc.wantError, tc.wantMessage)
			}
			if reloads != tc.wantReloads {
				t.Errorf("%d reloads, want %d", reloads, tc.wantReloads)
			}
			var got []string
			h.events.mu.Lock()
			for _, e := range h.events.es {
				got = append(got, e.Type+" "+e.Name+" "+e.Subject)
			}
			h.events.mu.Unlock()
			if !slices.Equal(got, tc.wantAudit) {
				t.Errorf("audit %q, want %q", got, tc.wantAudit)
			}
		})
	}
}
