package vault_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/postgres"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/oidctest"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
)

const redirect = "http://127.0.0.1:9/callback"

// rig is a vault on a real SQLite file, refreshing at a real OpenID
// provider, with a clock the test moves.
type rig struct {
	t     *testing.T
	idp   *oidctest.Provider
	rp    *oidc.Provider
	store storage.Store
	dir   string
	keys  []tokens.RingKey
	off   atomic.Int64 // clock offset, nanoseconds
	// revoked is the revocation list of the vault's revoker, and ended
	// what it recorded (grant:reason:user).
	revoked *tokens.RevocationList
	ended   []string
	mu      sync.Mutex
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, dir: t.TempDir(), keys: []tokens.RingKey{{ID: "k1", Key: tokens.GenerateKey()}}}
	r.idp = oidctest.Start(t, oidctest.Options{Users: []oidctest.User{{Username: "alice", Email: "alice@example.com"}}})
	r.idp.AddClient("drawbridge", "idp-secret-0123456789", redirect)
	rp, err := oidc.New(oidc.Options{Name: "oidc", Issuer: r.idp.Issuer(), ClientID: "drawbridge", ClientSecret: "idp-secret-0123456789",
		RedirectURL: redirect, Scopes: []string{"openid", "email", "offline_access"}, HTTPClient: r.idp.Client()})
	if err != nil {
		t.Fatal(err)
	}
	r.rp = rp
	st, err := sqlite.Open(t.Context(), filepath.Join(r.dir, "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	r.store = st
	return r
}

func (r *rig) now() time.Time { return time.Now().Add(time.Duration(r.off.Load())) }

func (r *rig) vault(keys ...tokens.RingKey) *vault.Vault {
	r.t.Helper()
	if len(keys) == 0 {
		keys = r.keys
	}
	ring, err := tokens.NewKeyring(keys)
	if err != nil {
		r.t.Fatal(err)
	}
	r.revoked = tokens.NewRevocationList(r.store, r.now, time.Hour)
	rv := revoke.New(revoke.Options{Store: r.store, List: r.revoked, Audit: r, Now: r.now})
	return vault.New(vault.Options{Store: r.store, Keyring: ring, Refresher: r.rp, Provider: "oidc", Now: r.now, Revoker: rv})
}

// Record notes the grants the vault's revoker records as ended.
func (r *rig) Record(e audit.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Type == audit.GrantRevoked {
		r.ended = append(r.ended, e.GrantID+":"+e.Reason+":"+e.Subject)
	}
}

// signIn runs a real authorization code flow at the provider and keeps
// the tokens in v for a new grant, whose ID it returns. A positive
// expiresIn records the access token as expiring that soon, as if it had
// been issued long ago.
func (r *rig) signIn(v *vault.Vault, expiresIn time.Duration) (string, vault.Tokens) {
	r.t.Helper()
	ctx := r.t.Context()
	verifier := tokens.NewOpaque("v-")
	authURL, err := r.rp.AuthCodeURL(ctx, "state-1", "nonce-1", oauth.S256Challenge(verifier))
	if err != nil {
		r.t.Fatal(err)
	}
	back, err := r.idp.Login(ctx, authURL, "alice")
	if err != nil {
		r.t.Fatal(err)
	}
	res, err := r.rp.Exchange(ctx, back.Query().Get("code"), verifier, "nonce-1")
	if err != nil {
		r.t.Fatal(err)
	}
	if res.RefreshToken == "" {
		r.t.Fatal("the provider issued no refresh token")
	}
	t := vault.Tokens{AccessToken: res.AccessToken, RefreshToken: res.RefreshToken, IDToken: res.IDToken, Expiry: res.Expiry.UTC().Round(0)}
	if expiresIn > 0 {
		t.Expiry = r.now().Add(expiresIn).UTC().Round(0)
	}
	sid, err := v.Save(ctx, res.Identity.Subject, t)
	if err != nil {
		r.t.Fatal(err)
	}
	g := storage.Grant{ID: tokens.NewID(), ClientID: "client", Identity: res.Identity, Resource: "https://mcp.example/mcp",
		UpstreamSessionID: sid, CreatedAt: r.now(), ExpiresAt: r.now().Add(24 * time.Hour)}
	if err := r.store.CreateGrant(ctx, g, nil); err != nil {
		r.t.Fatal(err)
	}
	return g.ID, t
}

func (r *rig) refreshes() int {
	n := 0
	for _, req := range r.idp.RequestsTo("token") {
		if req.Params.Get("grant_type") == "refresh_token" {
			n++
		}
	}
	return n
}

// TestSealedAtRest: the database files hold no token text, only sealed
// bytes; what comes back out is what went in.
func TestSealedAtRest(t *testing.T) {
	r := newRig(t)
	v := r.vault()
	grant, want := r.signIn(v, 0)
	got, err := v.Token(t.Context(), grant)
	if err != nil || !same(got, want) {
		t.Fatalf("Token = %+v, %v; want what was saved", got, err)
	}
	if err := r.store.Close(); err != nil { // flush everything to the files
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(r.dir, "db.sqlite*"))
	var raw []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if len(raw) == 0 {
		t.Fatal("no database file found")
	}
	for name, secret := range map[string]string{"access token": want.AccessToken, "refresh token": want.RefreshToken, "ID token": want.IDToken} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the database holds the %s in the clear", name)
		}
	}
}

// TestSealedRowMovedDoesNotOpen: the session ID is bound into the seal.
func TestSealedRowMovedDoesNotOpen(t *testing.T) {
	r := newRig(t)
	v := r.vault()
	grant, _ := r.signIn(v, 0)
	g, _ := r.store.GetGrant(t.Context(), grant)
	u, _ := r.store.GetUpstreamSession(t.Context(), g.UpstreamSessionID, r.now())
	u.ID = "another-session"
	must(t, r.store.PutUpstreamSession(t.Context(), u))
	g2 := g
	g2.ID, g2.UpstreamSessionID = "grant-2", u.ID
	must(t, r.store.CreateGrant(t.Context(), g2, nil))
	if _, err := r.vault().Token(t.Context(), g2.ID); err == nil {
		t.Fatal("tokens sealed for one session opened under another's ID")
	}
}

// TestKeyRotation: a new key seals new writes, old keys still open, and
// Reseal moves everything to the new key so the old one can go.
func TestKeyRotation(t *testing.T) {
	r := newRig(t)
	k1, k2 := r.keys[0], tokens.RingKey{ID: "k2", Key: tokens.GenerateKey()}
	old := r.vault(k1)
	grant, want := r.signIn(old, 0)

	rotated := r.vault(k2, k1)
	if got, err := rotated.Token(t.Context(), grant); err != nil || !same(got, want) {
		t.Fatalf("with the new key first, Token = %+v, %v", got, err)
	}
	if _, err := r.vault(k2).Token(t.Context(), grant); err == nil {
		t.Fatal("tokens sealed with k1 opened without it")
	}
	resealed, total, err := rotated.Reseal(t.Context())
	if err != nil || resealed != 1 || total != 1 {
		t.Fatalf("Reseal = %d of %d, %v; want 1 of 1", resealed, total, err)
	}
	if resealed, _, _ := rotated.Reseal(t.Context()); resealed != 0 {
		t.Errorf("a second Reseal re-sealed %d sessions", resealed)
	}
	if got, err := r.vault(k2).Token(t.Context(), grant); err != nil || !same(got, want) {
		t.Fatalf("after Reseal, with k2 alone, Token = %+v, %v", got, err)
	}
	if _, err := r.vault(k1).Token(t.Context(), grant); err == nil {
		t.Fatal("after Reseal, k1 alone still opened the tokens")
	}
	// New writes use the first key.
	grant2, _ := r.signIn(rotated, 0)
	if _, err := r.vault(k2).Token(t.Context(), grant2); err != nil {
		t.Fatalf("a session saved with k2 first does not open with k2: %v", err)
	}
}

// TestConcurrentRefresh: 50 requests that all find the access token about
// to expire cause one refresh at the provider, and all get its result.
func TestConcurrentRefresh(t *testing.T) {
	r := newRig(t)
	v := r.vault()
	grant, first := r.signIn(v, 10*time.Minute)
	if _, err := v.Token(t.Context(), grant); err != nil || r.refreshes() != 0 {
		t.Fatalf("a fresh token was refreshed (%d), %v", r.refreshes(), err)
	}
	r.off.Store(int64(9 * time.Minute)) // inside RefreshBefore

	const n = 50
	got := make([]vault.Tokens, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = v.Token(t.Context(), grant)
		})
	}
	close(start)
	wg.Wait()
	must(t, errors.Join(errs...))
	if c := r.refreshes(); c != 1 {
		t.Fatalf("%d refresh requests for %d concurrent callers, want 1", c, n)
	}
	for i := range n {
		if !same(got[i], got[0]) || got[i].AccessToken == first.AccessToken || got[i].RefreshToken == first.RefreshToken {
			t.Fatalf("caller %d got %+v: not the one refreshed result", i, got[i].Expiry)
		}
	}
	// The refreshed tokens were stored: another replica (a new vault) reads
	// them without refreshing again.
	again, err := r.vault().Token(t.Context(), grant)
	if err != nil || !same(again, got[0]) || r.refreshes() != 1 {
		t.Fatalf("a second replica: %v, %d refreshes", err, r.refreshes())
	}
}

// TestUpstreamSignOutEndsGrant: a refresh answered invalid_grant revokes
// the grant and deletes its upstream tokens; the caller is told to sign in.
func TestUpstreamSignOutEndsGrant(t *testing.T) {
	r := newRig(t)
	v := r.vault()
	grant, _ := r.signIn(v, time.Minute)
	r.idp.SignOut("alice")
	if _, err := v.Token(t.Context(), grant); !errors.Is(err, vault.ErrSignInAgain) {
		t.Fatalf("Token after an upstream sign-out: %v, want ErrSignInAgain", err)
	}
	g, err := r.store.GetGrant(t.Context(), grant)
	if err != nil || !g.Revoked() || g.RevokeReason != vault.ReasonUpstreamRevoked {
		t.Fatalf("grant after the refused refresh: %+v, %v", g, err)
	}
	if _, err := r.store.GetUpstreamSession(t.Context(), g.UpstreamSessionID, r.now()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the upstream tokens outlived the grant: %v", err)
	}
	if len(r.ended) != 1 || r.ended[0] != grant+":"+vault.ReasonUpstreamRevoked+":"+g.Identity.Subject {
		t.Errorf("grant.revoked records: %v", r.ended)
	}
	if !r.revoked.IsRevoked(grant) {
		t.Error("the ended grant is not in this replica's revocation list")
	}
	if _, err := v.Token(t.Context(), grant); !errors.Is(err, vault.ErrSignInAgain) {
		t.Errorf("Token of the ended grant: %v", err)
	}
}

// TestRefreshFailureIsNotSignOut: an unreachable provider is a passing
// failure: the current token serves while it lasts, then callers get an
// error, but the grant stays.
func TestRefreshFailureIsNotSignOut(t *testing.T) {
	r := newRig(t)
	v := r.vault()
	grant, first := r.signIn(v, 10*time.Minute)
	if _, err := v.Token(t.Context(), grant); err != nil { // discovery done, token cached
		t.Fatal(err)
	}
	r.idp.SetDown(true)
	r.off.Store(int64(9 * time.Minute))
	if got, err := v.Token(t.Context(), grant); err != nil || got.AccessToken != first.AccessToken {
		t.Fatalf("provider down, token still valid: %v", err)
	}
	r.off.Store(int64(11 * time.Minute))
	_, err := v.Token(t.Context(), grant)
	if err == nil || errors.Is(err, vault.ErrSignInAgain) {
		t.Fatalf("provider down, token expired: %v, want a passing error", err)
	}
	if g, _ := r.store.GetGrant(t.Context(), grant); g.Revoked() {
		t.Fatal("an unreachable provider ended the grant")
	}
	r.idp.SetDown(false)
	if got, err := v.Token(t.Context(), grant); err != nil || got.AccessToken == first.AccessToken {
		t.Fatalf("provider back: %v", err)
	}
}

// TestRevokedGrantLosesTokens: revoking the grant in the store deletes the
// upstream tokens, and a replica that never cached them gets ErrSignInAgain.
func TestRevokedGrantLosesTokens(t *testing.T) {
	r := newRig(t)
	v := r.vault()
	grant, _ := r.signIn(v, 0)
	_, err := r.store.RevokeGrant(t.Context(), grant, "revoked_by_admin", r.now())
	must(t, err)
	if _, err := r.vault().Token(t.Context(), grant); !errors.Is(err, vault.ErrSignInAgain) {
		t.Fatalf("Token of a revoked grant: %v", err)
	}
	sessions, err := r.store.ListUpstreamSessions(t.Context(), "", 10)
	if err != nil || len(sessions) != 0 {
		t.Fatalf("upstream sessions left after revocation: %d, %v", len(sessions), err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func same(a, b vault.Tokens) bool {
	return a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken && a.IDToken == b.IDToken && a.Expiry.Equal(b.Expiry)
}

// TestReplicasRefreshOnce: two replicas (two stores on one database),
// 25 concurrent requests each, one refresh at the provider, and the
// provider's refresh-token rotation never ends the grant.
func TestReplicasRefreshOnce(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			r := newRig(t)
			var second storage.Store
			if backend == "postgres" {
				dsn := gwtest.PostgresDSN(t)
				r.store = openPostgres(t, dsn)
				second = openPostgres(t, dsn)
			} else {
				st, err := sqlite.Open(t.Context(), filepath.Join(r.dir, "db.sqlite"))
				must(t, err)
				t.Cleanup(func() { _ = st.Close() })
				second = st
			}
			a := r.vault()
			grant, first := r.signIn(a, 10*time.Minute)
			ring, _ := tokens.NewKeyring(r.keys)
			b := vault.New(vault.Options{Store: second, Keyring: ring, Refresher: r.rp, Now: r.now})
			r.off.Store(int64(9 * time.Minute))

			const n = 25
			got := make([]vault.Tokens, 2*n)
			errs := make([]error, 2*n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range 2 * n {
				v := a
				if i%2 == 1 {
					v = b
				}
				wg.Go(func() {
					<-start
					got[i], errs[i] = v.Token(t.Context(), grant)
				})
			}
			close(start)
			wg.Wait()
			must(t, errors.Join(errs...))
			if c := r.refreshes(); c != 1 {
				t.Fatalf("%d refreshes for two replicas, want 1", c)
			}
			for i := range got {
				if !same(got[i], got[0]) || got[i].AccessToken == first.AccessToken {
					t.Fatalf("request %d did not get the one refreshed token", i)
				}
			}
			if g, _ := r.store.GetGrant(t.Context(), grant); g.Revoked() {
				t.Fatalf("the grant was ended: %s", g.RevokeReason)
			}
		})
	}
}

func openPostgres(t *testing.T, dsn string) storage.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	must(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}
