package authserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/cimd"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// downStore is a database that cannot be reached.
type downStore struct{ storage.Store }

var errDown = errors.New("dial tcp 10.0.0.5:5432: connect: connection refused")

func (downStore) GetClient(context.Context, string) (storage.Client, error) {
	return storage.Client{}, errDown
}
func (downStore) CreateClient(context.Context, storage.Client) error { return errDown }
func (downStore) FindClientBlock(context.Context, string, []string) (storage.ClientBlock, error) {
	return storage.ClientBlock{}, errDown
}
func (downStore) GetRefreshToken(context.Context, string, time.Time) (storage.RefreshToken, error) {
	return storage.RefreshToken{}, errDown
}

// TestStoreDownAnswers: with the store unreachable, clients are told to
// retry, never that their registration is unknown.
func TestStoreDownAnswers(t *testing.T) {
	s := testServer(t)
	s.opt.Store = downStore{}
	mux := http.NewServeMux()
	s.Routes(mux)
	do := func(r *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {"C1"}}
	tok := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
	tok.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	reg := httptest.NewRequest(http.MethodPost, "/register", strings.NewReader(`{"redirect_uris":["http://127.0.0.1:9/cb"],"token_endpoint_auth_method":"none"}`))
	reg.Header.Set("Content-Type", "application/json")
	// An introspecting backend must not hear "inactive" about a refresh
	// token the store could not look up.
	s.opt.Introspectors = []Introspector{{ID: "backend", Secret: "backend-secret"}}
	intro := httptest.NewRequest(http.MethodPost, "/introspect", strings.NewReader(url.Values{"token": {"rt"}, "token_type_hint": {"refresh_token"}}.Encode()))
	intro.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	intro.SetBasicAuth("backend", "backend-secret")
	for name, r := range map[string]*http.Request{"token": tok, "register": reg, "introspect": intro} {
		rec := do(r)
		var e oauth.Error
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != http.StatusServiceUnavailable || e.Code != oauth.ErrTemporarilyUnavailable {
			t.Errorf("%s: %d %s, want 503 temporarily_unavailable", name, rec.Code, rec.Body)
		}
	}
	rec := do(httptest.NewRequest(http.MethodGet, "/authorize?client_id=C1&response_type=code", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || strings.Contains(rec.Body.String(), "not registered") {
		t.Errorf("authorize: %d %v\n%s", rec.Code, rec.Header(), rec.Body)
	}
}

// TestStoreDownBlocksHold: whether a metadata-document client is blocked
// is read from the store before its document; with the store down the
// client is told to retry, never let through on a cached document.
func TestStoreDownBlocksHold(t *testing.T) {
	s := testServer(t)
	s.opt.Store = downStore{}
	f, err := cimd.New(cimd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.opt.Metadata = f
	mux := http.NewServeMux()
	s.Routes(mux)
	const id = "https://agents.example/client.json"
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/authorize?response_type=code&client_id="+url.QueryEscape(id), nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("authorize: %d\n%s", rec.Code, rec.Body)
	}
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}, "client_id": {id}}
	tok := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
	tok.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, tok)
	var e oauth.Error
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code != http.StatusServiceUnavailable || e.Code != oauth.ErrTemporarilyUnavailable {
		t.Errorf("token: %d %s, want 503 temporarily_unavailable", rec.Code, rec.Body)
	}
}
