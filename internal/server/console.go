package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/console"
	"github.com/drawbridge-mcp/drawbridge/internal/lastuse"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

func consoleEnabled(cfg *config.Config) bool { return *cfg.Console.Enabled }

// consoleClient registers the console as a first-party client of our own
// authorization server: public (PKCE), no consent (it is Drawbridge
// itself), the authorization-code grant only (no refresh tokens: a console
// session ends with its grant), one exact redirect URI.
func consoleClient(cfg *config.Config) (authserver.ConfigClient, authserver.Resource) {
	iss := cfg.Issuer()
	return authserver.ConfigClient{ID: console.ClientID, Name: console.ClientName,
			RedirectURIs: []string{console.RedirectURI(iss)}, SkipConsent: true,
			GrantTypes: []string{"authorization_code"}, AuthMethod: "none"},
		authserver.Resource{URL: console.Resource(iss), Title: console.ResourceTitle, ExplicitOnly: true}
}

// consoleOptions configures the console, over the same store, admin
// actions and authorization server (which redeems its codes) as
// everything else.
func consoleOptions(cfg *config.Config, opt Options, c core, adm *admin.API, as console.Redeemer) console.Options {
	iss := cfg.Issuer()
	o := console.Options{Issuer: iss, Store: c.store, Sessions: c.store, Admin: adm, Redeemer: as, Verifier: c.verifier,
		Revoker: c.revoker, AllowedNetworks: prefixes(cfg.Admin.AllowedNetworks),
		SecureCookies: secureCookies(cfg), SessionTTL: cfg.Console.SessionTTL.D(),
		LoginTTL: cfg.Tokens.LoginTTL.D(), Log: opt.Log, Now: opt.Now,
		Resources:         map[string]string{iss + admin.Path: "Drawbridge administration", console.Resource(iss): "Drawbridge console"},
		ScopeDescriptions: map[string]string{},
	}
	for i := range cfg.Backends {
		o.Resources[cfg.ResourceURL(&cfg.Backends[i])] = cfg.Backends[i].Title
	}
	for _, sc := range cfg.Scopes {
		o.ScopeDescriptions[sc.Name] = sc.Description
	}
	o.Clients = append(o.Clients, storage.Client{ID: console.ClientID, Name: console.ClientName, Kind: storage.ClientKindConfig,
		RedirectURIs: []string{console.RedirectURI(iss)}})
	for _, c := range cfg.Clients {
		o.Clients = append(o.Clients, storage.Client{ID: c.ID, Name: c.Name, Kind: storage.ClientKindConfig,
			RedirectURIs: c.RedirectURIs, GrantTypes: c.GrantTypes})
	}
	return o
}

// newConsole builds the console; nil when it is off.
func newConsole(cfg *config.Config, opt Options, c core, adm *admin.API, as console.Redeemer) (*console.Console, error) {
	if !consoleEnabled(cfg) {
		return nil, nil
	}
	return console.New(consoleOptions(cfg, opt, c, adm, as))
}

// collectConsole removes expired console sessions.
func collectConsole(ctx context.Context, c *console.Console, log *slog.Logger) {
	if c == nil {
		return
	}
	if n, err := c.Collect(ctx); err != nil {
		log.Warn("removing expired console sessions failed", "err", err)
	} else if n > 0 {
		log.Debug("expired console sessions removed", "n", n)
	}
}

// newUsageTracker notes every token the gateway accepts as a use of its
// grant, written in batches (package lastuse).
func newUsageTracker(store storage.Store, now func() time.Time) *lastuse.Tracker {
	return lastuse.New(store, now, time.Minute)
}

// gatewayVerifier is the verifier of MCP requests, noting each use.
func gatewayVerifier(v *tokens.Verifier, usage *lastuse.Tracker) tokens.AccessVerifier {
	return usage.Verifying(v)
}

// flushLastUse writes the last uses noted, before the store closes.
func flushLastUse(usage *lastuse.Tracker, log *slog.Logger) {
	if err := usage.Flush(context.Background()); err != nil {
		log.Warn("recording when grants were last used failed", "err", err)
	}
}
