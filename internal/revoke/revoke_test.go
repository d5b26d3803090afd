package revoke_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// The clock of every test: revocations must carry it, never the wall clock.
var (
	earlier = time.Date(2031, 1, 2, 3, 0, 0, 0, time.UTC)
	clock   = time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)
)

// events collects what the revoker records.
type events struct {
	mu sync.Mutex
	es []audit.Event
}

func (e *events) Record(ev audit.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.es = append(e.es, ev)
}

// failing is a store whose chosen operations fail; with raced, another
// revocation of the grant (reason "raced") lands between the revoker's
// read and its revocation.
type failing struct {
	storage.Store
	get, revoke, list, raced bool
}

var errStore = errors.New("the database is down")

func (f failing) GetGrant(ctx context.Context, id string) (storage.Grant, error) {
	if f.get {
		return storage.Grant{}, errStore
	}
	return f.Store.GetGrant(ctx, id)
}

func (f failing) RevokeGrant(ctx context.Context, id, reason string, now time.Time) (bool, error) {
	if f.revoke {
		return false, errStore
	}
	if f.raced {
		if _, err := f.Store.RevokeGrant(ctx, id, "raced", now); err != nil {
			return false, err
		}
	}
	return f.Store.RevokeGrant(ctx, id, reason, now)
}

func (f failing) ListGrants(ctx context.Context, gf storage.GrantFilter) ([]storage.Grant, error) {
	if f.list {
		return nil, errStore
	}
	return f.Store.ListGrants(ctx, gf)
}

// grants every test starts with: alice's two with client a (one revoked
// earlier by its client), bob's with a, and alice's with b, signed in at
// the provider's session sid-1.
var fixture = []storage.Grant{
	{ID: "g-alice-a", ClientID: "a", Identity: storage.Identity{Subject: "local:alice"}},
	{ID: "g-alice-a-old", ClientID: "a", Identity: storage.Identity{Subject: "local:alice"}},
	{ID: "g-bob-a", ClientID: "a", Identity: storage.Identity{Subject: "local:bob"}},
	{ID: "g-alice-b", ClientID: "b", Identity: storage.Identity{Subject: "oidc:alice",
		Upstream: storage.UpstreamLogin{Subject: "up-alice", SID: "sid-1"}}},
}

func newStore(t *testing.T) storage.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	for _, g := range fixture {
		g.CreatedAt, g.ExpiresAt = earlier, clock.Add(time.Hour)
		if err := st.CreateGrant(t.Context(), g, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.RevokeGrant(t.Context(), "g-alice-a-old", "revoked_by_client", earlier); err != nil {
		t.Fatal(err)
	}
	return st
}

var admin = revoke.Actor{Subject: "local:root", ClientID: "drawbridge-console", Remote: "192.0.2.7", RequestID: "req-1"}

// record is what a revocation of g by admin must write.
func record(g, sub, client, reason string) string {
	return strings.Join([]string{audit.GrantRevoked, sub, client, g, reason, "local:root", "192.0.2.7", "req-1"}, " ")
}

func show(es []audit.Event) []string {
	var out []string
	for _, e := range es {
		out = append(out, strings.Join([]string{e.Type, e.Subject, e.ClientID, e.GrantID, e.Reason, e.Actor, e.Remote, e.RequestID}, " "))
	}
	return out
}

// state is each fixture grant's revocation as the store has it: reason,
// or "live".
func state(t *testing.T, st storage.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range fixture {
		g, err := st.GetGrant(t.Context(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !g.Revoked():
			out[g.ID] = "live"
		case g.RevokeReason == "revoked_by_client" && g.RevokedAt.Equal(earlier):
			out[g.ID] = "earlier"
		case g.RevokedAt.Equal(clock):
			out[g.ID] = g.RevokeReason
		default:
			out[g.ID] = "revoked at " + g.RevokedAt.String() + ", not at the revoker's clock"
		}
	}
	return out
}

func TestRevoke(t *testing.T) {
	live := map[string]string{"g-alice-a": "live", "g-alice-a-old": "earlier", "g-bob-a": "live", "g-alice-b": "live"}
	with := func(id, reason string) map[string]string {
		m := map[string]string{}
		for k, v := range live {
			m[k] = v
		}
		m[id] = reason
		return m
	}
	for _, tc := range []struct {
		name  string
		store func(storage.Store) storage.Store
		id    string
		// wantErr is the error the revocation returns; nil for success.
		wantErr   error
		wantState map[string]string
		wantAudit []string
		// wantListed: this replica refuses the grant's tokens now.
		wantListed bool
	}{
		{name: "live grant", id: "g-alice-a", wantState: with("g-alice-a", "code_replay"),
			wantAudit: []string{record("g-alice-a", "local:alice", "a", "code_replay")}, wantListed: true},
		{name: "already revoked: not an error, not recorded again", id: "g-alice-a-old", wantState: live, wantListed: true},
		{name: "another revocation wins the race: recorded by it, not again", id: "g-bob-a",
			store:     func(s storage.Store) storage.Store { return failing{Store: s, raced: true} },
			wantState: with("g-bob-a", "raced"), wantListed: true},
		{name: "not found", id: "g-nobody", wantErr: storage.ErrNotFound, wantState: live},
		{name: "the store cannot revoke: nothing recorded, refused here anyway", id: "g-bob-a",
			store:   func(s storage.Store) storage.Store { return failing{Store: s, revoke: true} },
			wantErr: errStore, wantState: live, wantListed: true},
		{name: "the store cannot be read: refused here anyway", id: "g-bob-a",
			store:   func(s storage.Store) storage.Store { return failing{Store: s, get: true} },
			wantErr: errStore, wantState: live, wantListed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			use := st
			if tc.store != nil {
				use = tc.store(st)
			}
			list := tokens.NewRevocationList(st, func() time.Time { return clock }, time.Hour)
			var rec events
			r := revoke.New(revoke.Options{Store: use, List: list, Audit: &rec, Now: func() time.Time { return clock }})
			err := r.Revoke(t.Context(), tc.id, "code_replay", admin)
			if (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("Revoke: %v, want %v", err, tc.wantErr)
			}
			if got := state(t, st); !equalMaps(got, tc.wantState) {
				t.Errorf("grants: %v\nwant %v", got, tc.wantState)
			}
			if got := show(rec.es); !slices.Equal(got, tc.wantAudit) {
				t.Errorf("audit: %q\nwant %q", got, tc.wantAudit)
			}
			for _, e := range rec.es {
				if !e.Time.Equal(clock) {
					t.Errorf("recorded at %v, not at the revoker's clock", e.Time)
				}
			}
			if got := list.IsRevoked(tc.id); got != tc.wantListed {
				t.Errorf("in the revocation list: %v, want %v", got, tc.wantListed)
			}
		})
	}
}

func TestRevokeAll(t *testing.T) {
	for _, tc := range []struct {
		name      string
		filter    storage.GrantFilter
		store     func(storage.Store) storage.Store
		wantN     int
		wantErr   error
		wantState map[string]string
		wantAudit []string
	}{
		{name: "a client's: the one already revoked is skipped", filter: storage.GrantFilter{ClientID: "a"}, wantN: 2,
			wantState: map[string]string{"g-alice-a": "client_disabled", "g-alice-a-old": "earlier", "g-bob-a": "client_disabled", "g-alice-b": "live"},
			wantAudit: []string{record("g-alice-a", "local:alice", "a", "client_disabled"), record("g-bob-a", "local:bob", "a", "client_disabled")}},
		{name: "a user's with a client", filter: storage.GrantFilter{Subject: "local:bob", ClientID: "a"}, wantN: 1,
			wantState: map[string]string{"g-alice-a": "live", "g-alice-a-old": "earlier", "g-bob-a": "client_disabled", "g-alice-b": "live"},
			wantAudit: []string{record("g-bob-a", "local:bob", "a", "client_disabled")}},
		{name: "an upstream session's", filter: storage.GrantFilter{UpstreamSID: "sid-1"}, wantN: 1,
			wantState: map[string]string{"g-alice-a": "live", "g-alice-a-old": "earlier", "g-bob-a": "live", "g-alice-b": "client_disabled"},
			wantAudit: []string{record("g-alice-b", "oidc:alice", "b", "client_disabled")}},
		{name: "IncludeRevoked is ignored", filter: storage.GrantFilter{Subject: "local:alice", IncludeRevoked: true}, wantN: 1,
			wantState: map[string]string{"g-alice-a": "client_disabled", "g-alice-a-old": "earlier", "g-bob-a": "live", "g-alice-b": "live"},
			wantAudit: []string{record("g-alice-a", "local:alice", "a", "client_disabled")}},
		{name: "matching nothing", filter: storage.GrantFilter{ClientID: "c"},
			wantState: map[string]string{"g-alice-a": "live", "g-alice-a-old": "earlier", "g-bob-a": "live", "g-alice-b": "live"}},
		{name: "an empty filter is refused", filter: storage.GrantFilter{IncludeRevoked: true, Limit: 5}, wantErr: revoke.ErrNoFilter,
			wantState: map[string]string{"g-alice-a": "live", "g-alice-a-old": "earlier", "g-bob-a": "live", "g-alice-b": "live"}},
		{name: "the store cannot list", filter: storage.GrantFilter{ClientID: "a"}, wantErr: errStore,
			store:     func(s storage.Store) storage.Store { return failing{Store: s, list: true} },
			wantState: map[string]string{"g-alice-a": "live", "g-alice-a-old": "earlier", "g-bob-a": "live", "g-alice-b": "live"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			use := st
			if tc.store != nil {
				use = tc.store(st)
			}
			list := tokens.NewRevocationList(st, func() time.Time { return clock }, time.Hour)
			var rec events
			r := revoke.New(revoke.Options{Store: use, List: list, Audit: &rec, Now: func() time.Time { return clock }})
			n, err := r.RevokeAll(t.Context(), tc.filter, "client_disabled", admin)
			if n != tc.wantN || (tc.wantErr == nil) != (err == nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
				t.Fatalf("RevokeAll: %d, %v; want %d, %v", n, err, tc.wantN, tc.wantErr)
			}
			got := state(t, st)
			if !equalMaps(got, tc.wantState) {
				t.Errorf("grants: %v\nwant %v", got, tc.wantState)
			}
			if got := show(rec.es); !slices.Equal(got, tc.wantAudit) {
				t.Errorf("audit: %q\nwant %q", got, tc.wantAudit)
			}
			for id, s := range got {
				if s != "live" && !list.IsRevoked(id) && s != "earlier" {
					t.Errorf("%s revoked but not in the revocation list", id)
				}
				if s == "live" && list.IsRevoked(id) {
					t.Errorf("%s live but in the revocation list", id)
				}
			}
		})
	}
}

// ordered records the order of ended sign-ins ("signins"), code
// deletions ("codes") and grant lookups ("grants"); failEnd fails the
// first.
type ordered struct {
	storage.Store
	calls   []string
	failEnd bool
}

func (o *ordered) EndSignIns(ctx context.Context, keys []string, at, expires time.Time) error {
	o.calls = append(o.calls, "signins")
	if o.failEnd {
		return errStore
	}
	return o.Store.EndSignIns(ctx, keys, at, expires)
}

func (o *ordered) DeleteAuthCodes(ctx context.Context, f storage.CodeFilter, now time.Time) (int, error) {
	o.calls = append(o.calls, "codes")
	return o.Store.DeleteAuthCodes(ctx, f, now)
}

func (o *ordered) ListGrants(ctx context.Context, f storage.GrantFilter) ([]storage.Grant, error) {
	o.calls = append(o.calls, "grants")
	return o.Store.ListGrants(ctx, f)
}

// TestRevokeAllDeletesCodes: RevokeAll deletes the unredeemed codes of
// what it revokes, before it lists the grants (so that a code redeemed in
// between has its grant listed), and leaves other users' codes.
func TestRevokeAllDeletesCodes(t *testing.T) {
	st := newStore(t)
	for _, c := range []storage.AuthCode{
		{Hash: "code-bob", ClientID: "a", GrantID: "g-code-bob", Identity: storage.Identity{Subject: "local:bob"}},
		{Hash: "code-alice", ClientID: "a", GrantID: "g-code-alice", Identity: storage.Identity{Subject: "local:alice"}},
	} {
		c.CreatedAt, c.ExpiresAt = earlier, clock.Add(time.Minute)
		if err := st.CreateAuthCode(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	o := &ordered{Store: st}
	r := revoke.New(revoke.Options{Store: o, Now: func() time.Time { return clock }})
	if n, err := r.RevokeAll(t.Context(), storage.GrantFilter{Subject: "local:bob"}, revoke.ReasonByAdmin, admin); n != 1 || err != nil {
		t.Fatalf("RevokeAll: %d, %v; want 1", n, err)
	}
	if got := strings.Join(o.calls, " "); got != "signins codes grants" {
		t.Errorf("store calls %q, want sign-ins ended, then codes, then grants", got)
	}
	issue := func(c storage.AuthCode) (storage.Grant, *storage.RefreshToken, error) {
		return storage.Grant{ID: c.GrantID, ClientID: c.ClientID, Identity: c.Identity}, nil, nil
	}
	_, err := st.RedeemAuthCode(t.Context(), storage.Redemption{Hash: "code-bob", Now: clock, Issue: issue})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("bob's code after RevokeAll: %v, want not found", err)
	}
	if _, err := st.RedeemAuthCode(t.Context(), storage.Redemption{Hash: "code-alice", Now: clock, Issue: issue}); err != nil {
		t.Errorf("alice's code after RevokeAll of bob's grants: %v", err)
	}
}

// TestRevokeAllEndsSignIns: RevokeAll records, before it deletes codes
// and lists grants, that the sign-ins of what its filter names end now: a
// sign-in made at or before that instant reads as ended, one made after
// does not, and sign-ins the filter does not name are untouched. A store
// that cannot record it fails the revocation before anything else.
func TestRevokeAllEndsSignIns(t *testing.T) {
	alice := storage.Identity{Subject: "local:alice"}
	bob := storage.Identity{Subject: "local:bob"}
	type signIn struct {
		id     storage.Identity
		client string
		ended  bool
	}
	for _, tc := range []struct {
		name    string
		filter  storage.GrantFilter
		signIns []signIn
	}{
		{"a user", storage.GrantFilter{Subject: "local:bob"},
			[]signIn{{bob, "a", true}, {bob, "b", true}, {alice, "a", false}}},
		{"a user and a client", storage.GrantFilter{Subject: "local:bob", ClientID: "a"},
			[]signIn{{bob, "a", true}, {bob, "b", false}, {alice, "a", false}}},
		{"a client", storage.GrantFilter{ClientID: "a"},
			[]signIn{{bob, "a", true}, {alice, "a", true}, {bob, "b", false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			o := &ordered{Store: st}
			r := revoke.New(revoke.Options{Store: o, Now: func() time.Time { return clock }})
			if _, err := r.RevokeAll(t.Context(), tc.filter, revoke.ReasonByAdmin, admin); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(o.calls, " "); got != "signins codes grants" {
				t.Errorf("store calls %q, want sign-ins ended first", got)
			}
			for _, si := range tc.signIns {
				for _, c := range []struct {
					at   time.Time
					want bool
				}{{clock.Add(-time.Second), si.ended}, {clock, si.ended}, {clock.Add(time.Nanosecond), false}} {
					got, err := revoke.SignInEnded(t.Context(), st, si.id, si.client, c.at)
					if err != nil || got != c.want {
						t.Errorf("sign-in of %s for %s at %v: ended %t, %v; want %t", si.id.Subject, si.client, c.at.Sub(clock), got, err, c.want)
					}
				}
			}
		})
	}
	t.Run("the store cannot record it", func(t *testing.T) {
		st := newStore(t)
		o := &ordered{Store: st, failEnd: true}
		r := revoke.New(revoke.Options{Store: o, Now: func() time.Time { return clock }})
		if n, err := r.RevokeAll(t.Context(), storage.GrantFilter{Subject: "local:alice"}, revoke.ReasonByAdmin, admin); !errors.Is(err, errStore) || n != 0 {
			t.Errorf("RevokeAll: %d, %v; want 0, the store's error", n, err)
		}
		if got := strings.Join(o.calls, " "); got != "signins" {
			t.Errorf("store calls %q, want nothing after the failed record", got)
		}
		if got := state(t, st); got["g-alice-a"] != "live" {
			t.Errorf("alice's grant %s after the failed revocation", got["g-alice-a"])
		}
	})
}

// TestSignInKeys: the keys of a sign-in name each part apart: no two
// lists of parts share a key, and an upstream sign-in has its upstream
// user's and session's keys at its provider and issuer only.
func TestSignInKeys(t *testing.T) {
	keys := []string{
		revoke.UserKey("a"), revoke.UserKey("a:b"), revoke.UserClientKey("a", "b"), revoke.UserClientKey("a:b", ""),
		revoke.ClientKey("a"), revoke.UpstreamUserKey("oidc", "https://idp", "a"), revoke.UpstreamSessionKey("oidc", "https://idp", "a"),
		revoke.UpstreamUserKey("oidc", "https://idp2", "a"), revoke.UpstreamUserKey("oidc2", "https://idp", "a"),
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Errorf("key %s repeats", k)
		}
		seen[k] = true
		if len(k) > 100 {
			t.Errorf("key %s is %d bytes long", k, len(k))
		}
	}
	id := storage.Identity{Subject: "oidc:carol", Provider: "oidc", Upstream: storage.UpstreamLogin{Issuer: "https://idp", Subject: "carol", SID: "s1"}}
	got := revoke.SignInKeys(id, "c")
	want := []string{revoke.UserKey("oidc:carol"), revoke.UserClientKey("oidc:carol", "c"), revoke.ClientKey("c"),
		revoke.UpstreamUserKey("oidc", "https://idp", "carol"), revoke.UpstreamSessionKey("oidc", "https://idp", "s1")}
	if !slices.Equal(got, want) {
		t.Errorf("SignInKeys of an upstream sign-in: %q\nwant %q", got, want)
	}
	if got := revoke.SignInKeys(storage.Identity{Subject: "local:bob"}, "c"); len(got) != 3 {
		t.Errorf("SignInKeys of a local sign-in: %d keys, want 3", len(got))
	}
}

// TestFinish: a grant the store revoked on its own (a reused refresh
// token) is listed and recorded like any other, with the store's reason
// and time (the revoker's clock if the store gave none).
func TestFinish(t *testing.T) {
	for _, tc := range []struct {
		name      string
		revokedAt time.Time
		wantAt    time.Time
	}{
		{name: "the store's time", revokedAt: earlier, wantAt: earlier},
		{name: "no time from the store", wantAt: clock},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			list := tokens.NewRevocationList(st, func() time.Time { return clock }, time.Hour)
			var rec events
			r := revoke.New(revoke.Options{Store: st, List: list, Audit: &rec, Now: func() time.Time { return clock }})
			g := fixture[2]
			g.RevokedAt, g.RevokeReason = tc.revokedAt, "refresh_token_reuse"
			r.Finish(g, revoke.Actor{Remote: "192.0.2.9", RequestID: "req-2"})
			want := []string{audit.GrantRevoked + " local:bob a g-bob-a refresh_token_reuse  192.0.2.9 req-2"}
			if got := show(rec.es); !slices.Equal(got, want) {
				t.Fatalf("audit: %q\nwant %q", got, want)
			}
			if !rec.es[0].Time.Equal(tc.wantAt) {
				t.Errorf("recorded at %v, want %v", rec.es[0].Time, tc.wantAt)
			}
			if !list.IsRevoked(g.ID) {
				t.Error("not in the revocation list")
			}
		})
	}
}

// TestWithoutListOrAudit: the command line has no revocation list, and
// a configuration may keep no audit trail; the store still revokes.
func TestWithoutListOrAudit(t *testing.T) {
	st := newStore(t)
	r := revoke.New(revoke.Options{Store: st, Now: func() time.Time { return clock }})
	if err := r.Revoke(t.Context(), "g-bob-a", revoke.ReasonByAdmin, admin); err != nil {
		t.Fatal(err)
	}
	if got := state(t, st)["g-bob-a"]; got != revoke.ReasonByAdmin {
		t.Errorf("g-bob-a: %s", got)
	}
}

// failingAudit is an audit store that cannot append.
type failingAudit struct{ storage.AuditStore }

func (failingAudit) AppendAudit(context.Context, []storage.AuditRecord, func(*storage.AuditRecord)) error {
	return errStore
}

// TestAuditFailure: an audit trail that cannot store the record does not
// undo the revocation, and the lost record is counted, not silent.
func TestAuditFailure(t *testing.T) {
	st := newStore(t)
	key, err := audit.DeriveSealKey("k1", tokens.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	rec := audit.NewRecorder(audit.Options{Store: failingAudit{st.(storage.AuditStore)}, Key: key,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	r := revoke.New(revoke.Options{Store: st, Audit: rec, Now: func() time.Time { return clock }})
	if err := r.Revoke(t.Context(), "g-bob-a", revoke.ReasonByAdmin, admin); err != nil {
		t.Fatal(err)
	}
	rec.Close()
	if got := state(t, st)["g-bob-a"]; got != revoke.ReasonByAdmin {
		t.Errorf("g-bob-a: %s", got)
	}
	if rec.Dropped() != 1 {
		t.Errorf("dropped %d audit records, want 1", rec.Dropped())
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestEndSessionEndsLateSignIns: a session ended by its sid refuses every
// sign-in that names it, even one Drawbridge records after the logout (a
// callback that came late); the user's other sessions, and the same sid at
// another issuer, are untouched.
func TestEndSessionEndsLateSignIns(t *testing.T) {
	st := newStore(t)
	r := revoke.New(revoke.Options{Store: st, Now: func() time.Time { return clock }})
	if err := r.EndSession(t.Context(), revoke.UpstreamSessionKey("idp", "https://idp.example", "sid-1")); err != nil {
		t.Fatal(err)
	}
	carol := func(iss, sid string) storage.Identity {
		return storage.Identity{Subject: "oidc:carol", Provider: "idp", Upstream: storage.UpstreamLogin{Issuer: iss, Subject: "carol", SID: sid}}
	}
	for _, c := range []struct {
		name string
		id   storage.Identity
		at   time.Time
		want bool
	}{
		{"the session, signed in before", carol("https://idp.example", "sid-1"), clock.Add(-time.Minute), true},
		{"the session, its callback an hour late", carol("https://idp.example", "sid-1"), clock.Add(time.Hour), true},
		{"another session", carol("https://idp.example", "sid-2"), clock.Add(-time.Minute), false},
		{"the sid at another issuer", carol("https://other.example", "sid-1"), clock.Add(-time.Minute), false},
	} {
		got, err := revoke.SignInEnded(t.Context(), st, c.id, "client", c.at)
		if err != nil || got != c.want {
			t.Errorf("%s: ended %t, %v; want %t", c.name, got, err, c.want)
		}
	}
}
