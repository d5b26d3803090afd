package vault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// ErrSignInAgain means the grant has no usable upstream tokens: none were
// kept, they expired without a refresh token, or the provider refused to
// refresh them. The grant has been revoked; the user must sign in again.
var ErrSignInAgain = errors.New("vault: the identity provider's session has ended; sign in again")

// Revocation reasons recorded on grants the vault ends.
const (
	ReasonUpstreamRevoked = "upstream_revoked"
	ReasonUpstreamExpired = "upstream_expired"
)

// Tokens are what the identity provider issued for one sign-in.
type Tokens struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	IDToken      string    `json:"id_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// Refresher redeems a refresh token at the identity provider;
// *oidc.Provider is one. A refusal that only a new sign-in can fix must
// satisfy oauthclient.NeedsSignIn.
type Refresher interface {
	Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error)
}

// Options configure a Vault.
type Options struct {
	Store     storage.Store
	Keyring   *tokens.Keyring
	Refresher Refresher
	// Provider names the identity provider in stored sessions.
	Provider string
	// RefreshBefore refreshes an access token this long before it expires,
	// so that a backend never gets one that expires in flight. Default 2m.
	RefreshBefore time.Duration
	// Pending is how long a session saved at sign-in waits for its grant
	// (sign-in, consent and code redemption); the grant then extends it to
	// its own lifetime. Default 30m.
	Pending time.Duration
	// Revoker ends the grants whose upstream session ended (store, this
	// replica's revocation list, audit trail); default one over Store with
	// neither list nor audit trail.
	Revoker *revoke.Revoker
	Now     func() time.Time
	Log     *slog.Logger
}

// Vault is safe for concurrent use.
type Vault struct {
	opt   Options
	group singleflight.Group
	mu    sync.Mutex
	cache map[string]cached // by grant ID: decrypted, in memory only
}

type cached struct {
	session string
	tokens  Tokens
}

// maxCached bounds the in-memory cache; a full cache starts over.
const maxCached = 10000

// New returns a vault.
func New(o Options) *Vault {
	if o.RefreshBefore == 0 {
		o.RefreshBefore = 2 * time.Minute
	}
	if o.Pending == 0 {
		o.Pending = 30 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Revoker == nil {
		o.Revoker = revoke.New(revoke.Options{Store: o.Store, Now: o.Now})
	}
	return &Vault{opt: o, cache: map[string]cached{}}
}

// Save seals the tokens of a new sign-in for subject and returns the
// session ID to carry to the grant.
func (v *Vault) Save(ctx context.Context, subject string, t Tokens) (string, error) {
	if t.AccessToken == "" {
		return "", errors.New("vault: no access token to keep")
	}
	id := tokens.NewID()
	sealed, err := v.seal(id, envelope{Tokens: t})
	if err != nil {
		return "", err
	}
	now := v.opt.Now()
	err = v.opt.Store.PutUpstreamSession(ctx, storage.UpstreamSession{ID: id, Subject: subject,
		Provider: v.opt.Provider, Sealed: sealed, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(v.opt.Pending)})
	if err != nil {
		return "", fmt.Errorf("vault: saving upstream tokens: %w", err)
	}
	return id, nil
}

// Token returns the grant's upstream tokens with an access token valid for
// at least RefreshBefore (or until its own expiry when it cannot be
// refreshed yet for a passing reason), refreshing first if needed.
func (v *Vault) Token(ctx context.Context, grantID string) (Tokens, error) {
	if c, ok := v.cached(grantID); ok && v.fresh(c.tokens) {
		return c.tokens, nil
	}
	return v.refresh(ctx, grantID, "")
}

// Refresh refreshes the grant's tokens because a backend's token endpoint
// refused stale, the access token Token returned: it may have been revoked
// before its expiry. If another caller has refreshed since, that result is
// returned without a new request.
func (v *Vault) Refresh(ctx context.Context, grantID, stale string) (Tokens, error) {
	if c, ok := v.cached(grantID); ok && c.tokens.AccessToken != stale && v.fresh(c.tokens) {
		return c.tokens, nil
	}
	return v.refresh(ctx, grantID, stale)
}

// refresh runs one refresh per grant at a time; callers that arrive
// meanwhile wait for its result (or their own context). The work is not
// tied to the first caller's context, so that its cancellation does not
// fail everyone else.
func (v *Vault) refresh(ctx context.Context, grantID, stale string) (Tokens, error) {
	ch := v.group.DoChan(grantID, func() (any, error) {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		return v.load(wctx, grantID, stale)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return Tokens{}, r.Err
		}
		return r.Val.(Tokens), nil
	case <-ctx.Done():
		return Tokens{}, ctx.Err()
	}
}

// sessionOf finds the grant's upstream session.
func (v *Vault) sessionOf(ctx context.Context, grantID string) (string, error) {
	if c, ok := v.cached(grantID); ok {
		return c.session, nil
	}
	g, err := v.opt.Store.GetGrant(ctx, grantID)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return "", ErrSignInAgain
	case err != nil:
		return "", fmt.Errorf("vault: %w", err)
	case g.Revoked():
		return "", ErrSignInAgain
	case g.UpstreamSessionID == "":
		// Signed in before upstream tokens were kept, or with local users.
		return "", v.end(ctx, grantID, ReasonUpstreamExpired)
	}
	return g.UpstreamSessionID, nil
}

// end revokes the grant (which deletes its upstream session) and returns
// ErrSignInAgain. Drawbridge revokes it on its own account: the record
// names no actor, and the reason says why.
func (v *Vault) end(ctx context.Context, grantID, reason string) error {
	v.forget(grantID)
	err := v.opt.Revoker.Revoke(ctx, grantID, reason, revoke.Actor{})
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("vault: ending grant: %w", err)
	}
	v.opt.Log.Info("grant ended with its upstream session", "grant", grantID, "reason", reason)
	return ErrSignInAgain
}

func (v *Vault) fresh(t Tokens) bool {
	return t.Expiry.IsZero() || t.Expiry.Sub(v.opt.Now()) > v.opt.RefreshBefore
}

func (v *Vault) unexpired(t Tokens) bool {
	return t.Expiry.IsZero() || v.opt.Now().Before(t.Expiry)
}

func (v *Vault) cached(grantID string) (cached, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.cache[grantID]
	return c, ok
}

func (v *Vault) remember(grantID, sid string, t Tokens) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.cache) >= maxCached {
		v.cache = map[string]cached{}
	}
	v.cache[grantID] = cached{session: sid, tokens: t}
}

// Forget drops what this replica holds in memory for the grant.
func (v *Vault) forget(grantID string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.cache, grantID)
}

func aad(sid string) []byte { return []byte("upstream-session:" + sid) }

func (v *Vault) seal(sid string, e envelope) ([]byte, error) {
	plain, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return v.opt.Keyring.Seal(plain, aad(sid))
}

func (v *Vault) open(sid string, sealed []byte) (envelope, error) {
	plain, err := v.opt.Keyring.Open(sealed, aad(sid))
	if err != nil {
		return envelope{}, fmt.Errorf("vault: opening upstream tokens: %w", err)
	}
	var e envelope
	if err := json.Unmarshal(plain, &e); err != nil {
		return envelope{}, fmt.Errorf("vault: upstream tokens are malformed")
	}
	return e, nil
}

// End revokes the grant because its upstream session cannot serve it any
// more (reason names why) and returns ErrSignInAgain.
func (v *Vault) End(ctx context.Context, grantID, reason string) error {
	return v.end(ctx, grantID, reason)
}
