package server

import (
	"context"
	"net/url"
	"sync"

	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/oidc"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
)

// vaultNeeded: a backend acts with the user's tokens from the identity
// provider; otherwise none is kept at all.
func vaultNeeded(cfg *config.Config) bool {
	for i := range cfg.Backends {
		if cfg.Backends[i].UsesUpstreamTokens() {
			return true
		}
	}
	return false
}

// vaultOptions configures the vault: the upstream provider refreshes the
// tokens it keeps, and the one revoker ends the grants whose upstream
// session ended.
func vaultOptions(cfg *config.Config, opt Options, c core, upstream *oidc.Provider) vault.Options {
	return vault.Options{Store: c.store, Keyring: c.ring, Refresher: upstream, Provider: upstream.Name(),
		Pending: cfg.Tokens.LoginTTL.D() + cfg.Tokens.CodeTTL.D(), Now: opt.Now, Log: opt.Log,
		Revoker: c.revoker}
}

// newVault makes the upstream-token vault, or nil when no backend needs
// it or nobody signs in upstream.
func newVault(cfg *config.Config, opt Options, c core, upstream *oidc.Provider) *vault.Vault {
	if !vaultNeeded(cfg) || upstream == nil {
		return nil
	}
	return vault.New(vaultOptions(cfg, opt, c, upstream))
}

// lazyTokenClient completes a backend's token client with the identity
// provider's token endpoint on first use, when discovery has happened.
type lazyTokenClient struct {
	idp  *oidc.Provider
	o    oauthclient.Options
	once sync.Mutex
	tc   *oauthclient.TokenClient
}

func (l *lazyTokenClient) Token(ctx context.Context, form url.Values) (*oauth2.Token, error) {
	l.once.Lock()
	if l.tc == nil {
		idp, err := l.idp.TokenClient(ctx)
		if err != nil {
			l.once.Unlock()
			return nil, err
		}
		o := l.o
		o.TokenURL = idp.TokenURL()
		if l.tc, err = oauthclient.New(o); err != nil {
			l.once.Unlock()
			return nil, err
		}
	}
	tc := l.tc
	l.once.Unlock()
	return tc.Token(ctx, form)
}
