package server

import (
	"context"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/console"
	"github.com/drawbridge-mcp/drawbridge/internal/lastuse"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// usageTracker is the Server's lastuse.Tracker (named here so that the
// wiring in server.go stays small).
type usageTracker = lastuse.Tracker

func (s *Server) consoleEnabled() bool { return *s.cfg.Console.Enabled }

// consoleClient registers the console as a first-party client of our own
// authorization server: public (PKCE), no consent (it is Drawbridge
// itself), the authorization-code grant only (no refresh tokens: a console
// session ends with its grant), one exact redirect URI.
func (s *Server) addConsoleClient(opt *authserver.Options) {
	if !s.consoleEnabled() {
		return
	}
	iss := s.cfg.Issuer()
	opt.Clients = append(opt.Clients, authserver.ConfigClient{ID: console.ClientID, Name: console.ClientName,
		RedirectURIs: []string{console.RedirectURI(iss)}, SkipConsent: true,
		GrantTypes: []string{"authorization_code"}, AuthMethod: "none"})
	opt.Resources = append(opt.Resources, authserver.Resource{URL: console.Resource(iss), Title: console.ResourceTitle,
		ExplicitOnly: true})
}

// newConsole builds the console over the same store, admin actions and
// authorization server as everything else.
func (s *Server) newConsole(as *authserver.Server, adm *admin.API) (*console.Console, error) {
	cfg := s.cfg
	iss := cfg.Issuer()
	o := console.Options{Issuer: iss, Store: s.store, Sessions: s.store, Admin: adm, Redeemer: as, Verifier: s.verifier,
		Revoker: s.revoker, AllowedNetworks: prefixes(cfg.Admin.AllowedNetworks),
		SecureCookies: strings.HasPrefix(cfg.PublicURL, "https://"), SessionTTL: cfg.Console.SessionTTL.D(),
		LoginTTL: cfg.Tokens.LoginTTL.D(), Log: s.opt.Log, Now: s.opt.Now,
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
	return console.New(o)
}

// collectConsole removes expired console sessions.
func (s *Server) collectConsole(ctx context.Context) {
	if s.console == nil {
		return
	}
	if n, err := s.console.Collect(ctx); err != nil {
		s.opt.Log.Warn("removing expired console sessions failed", "err", err)
	} else if n > 0 {
		s.opt.Log.Debug("expired console sessions removed", "n", n)
	}
}

// gatewayVerifier is the verifier of MCP requests: every token it accepts
// is noted as a use of its grant, written in batches (package lastuse).
func (s *Server) gatewayVerifier() tokens.AccessVerifier {
	s.lastUse = lastuse.New(s.store, s.opt.Now, time.Minute)
	return s.lastUse.Verifying(s.verifier)
}

// runLastUse writes grant uses every minute until ctx ends.
func (s *Server) runLastUse(ctx context.Context) {
	if s.lastUse != nil {
		s.lastUse.Run(ctx, s.opt.Log)
	}
}

// flushLastUse writes the last uses noted, before the store closes.
func (s *Server) flushLastUse() {
	if s.lastUse != nil {
		if err := s.lastUse.Flush(context.Background()); err != nil {
			s.opt.Log.Warn("recording when grants were last used failed", "err", err)
		}
	}
}
