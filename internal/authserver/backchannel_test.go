package authserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// acceptingLogout accepts any logout token, naming one provider session.
type acceptingLogout struct{}

func (acceptingLogout) Name() string { return "idp" }
func (acceptingLogout) VerifyLogoutToken(context.Context, string) (*identity.Logout, error) {
	return &identity.Logout{Issuer: "https://idp.example.com", SID: "s1", JTI: "j1", ReplayWindow: 10 * time.Minute}, nil
}

// flakyStore fails its first grant lookup, and records single uses, the
// keys of ended sign-ins and the order of ended sign-ins ("signins"), code
// deletions ("codes") and grant lookups ("grants").
type flakyStore struct {
	storage.Store
	lookups int
	used    map[string]bool
	calls   []string
	codes   []storage.CodeFilter
	ended   [][]string
	endedAt []time.Time
}

func (f *flakyStore) EndSignIns(_ context.Context, keys []string, at, _ time.Time) error {
	f.calls, f.ended, f.endedAt = append(f.calls, "signins"), append(f.ended, keys), append(f.endedAt, at)
	return nil
}

func (f *flakyStore) DeleteAuthCodes(_ context.Context, cf storage.CodeFilter, _ time.Time) (int, error) {
	f.calls, f.codes = append(f.calls, "codes"), append(f.codes, cf)
	return 0, nil
}

func (f *flakyStore) ListGrants(context.Context, storage.GrantFilter) ([]storage.Grant, error) {
	f.calls = append(f.calls, "grants")
	if f.lookups++; f.lookups == 1 {
		return nil, errDown
	}
	return nil, nil
}

func (f *flakyStore) UseOnce(_ context.Context, key string, _, _ time.Time) error {
	if f.used[key] {
		return storage.ErrAlreadyUsed
	}
	f.used[key] = true
	return nil
}

// TestBackChannelLogoutRetryAfterOutage: a logout that met an unreachable
// database is answered 503, and the provider's retry of the same token is
// still accepted; a replay after that is not.
func TestBackChannelLogoutRetryAfterOutage(t *testing.T) {
	s := testServer(t)
	s.opt.Logout = acceptingLogout{}
	st := &flakyStore{used: map[string]bool{}}
	s.opt.Store = st
	s.opt.Revoker = revoke.New(revoke.Options{Store: st, Now: s.opt.Now})
	mux := http.NewServeMux()
	s.Routes(mux)
	post := func() int {
		r := httptest.NewRequest(http.MethodPost, PathBackChannelLogout, strings.NewReader(url.Values{"logout_token": {"t"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		return rec.Code
	}
	for i, want := range []int{http.StatusServiceUnavailable, http.StatusOK, http.StatusBadRequest} {
		if got := post(); got != want {
			t.Fatalf("attempt %d: %d, want %d", i+1, got, want)
		}
	}
	// Each attempt ended the session's sign-ins and deleted its codes
	// before it looked for its grants, so that no code redeemed in between
	// makes a grant the lookup misses.
	if got, want := strings.Join(st.calls, " "), "signins codes grants signins codes grants signins codes grants"; got != want {
		t.Errorf("store calls %q, want %q", got, want)
	}
	session := revoke.UpstreamSessionKey("idp", "https://idp.example.com", "s1")
	for i, keys := range st.ended {
		if len(keys) != 1 || keys[0] != session {
			t.Errorf("sign-ins ended by %q, want the session's key only", keys)
		}
		// For good: a sign-in naming the session whose callback comes
		// after the logout was made at the provider before it.
		if at := st.endedAt[i]; !at.After(s.opt.Now().Add(24 * time.Hour)) {
			t.Errorf("the session's sign-ins ended at %v, want after any sign-in to come", at)
		}
	}
	want := storage.CodeFilter{Provider: "idp", UpstreamIssuer: "https://idp.example.com", UpstreamSID: "s1"}
	for _, f := range st.codes {
		if f != want {
			t.Errorf("codes deleted by %+v, want %+v", f, want)
		}
	}
}
