package server

import (
	"context"
	"net/url"
	"sync"

	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
)

// newVault makes the upstream-token vault when a backend acts with the
// user's tokens from the identity provider; otherwise none is kept at all.
func (s *Server) newVault() *vault.Vault {
	needed := false
	for _, sv := range s.cfg.Backends {
		needed = needed || sv.Auth.UsesUpstreamTokens()
	}
	if !needed || s.idp == nil {
		return nil
	}
	return vault.New(vault.Options{Store: s.store, Keyring: s.ring, Refresher: s.idp, Provider: s.idp.Name(),
		Pending: s.cfg.Tokens.LoginTTL.D() + s.cfg.Tokens.CodeTTL.D(), Now: s.opt.Now, Log: s.opt.Log,
		Revoker: s.revoker})
}

// lazyTokenClient completes a backend's token client with the identity
// provider's token endpoint on first use, when discovery has happened.
type lazyTokenClient struct {
	s    *Server
	o    oauthclient.Options
	once sync.Mutex
	tc   *oauthclient.TokenClient
}

func (l *lazyTokenClient) Token(ctx context.Context, form url.Values) (*oauth2.Token, error) {
	l.once.Lock()
	if l.tc == nil {
		idp, err := l.s.idp.TokenClient(ctx)
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
