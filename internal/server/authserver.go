package server

import (
	"slices"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/authserver"
	"github.com/drawbridge-mcp/drawbridge/internal/cimd"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/idjag"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
)

// authServerOptions configures the authorization server: the MCP servers
// as resources (and the admin API and the console, when they are on), the
// configured clients, the scope catalogue, token lifetimes and lockout.
// vlt is nil when no backend acts with the user's upstream tokens, md when
// client ID metadata documents are off.
func authServerOptions(cfg *config.Config, opt Options, c core, in signIn, vlt *vault.Vault, md *cimd.Fetcher) authserver.Options {
	o := authserver.Options{
		Issuer: cfg.Issuer(), Store: c.store, Keys: c.keys, Revoker: c.revoker, Tokens: c.verifier, Audit: c.events,
		LockoutAfter: cfg.RateLimits.Lockout.After, LockoutAddressAfter: cfg.RateLimits.Lockout.AddressAfter,
		LockoutBase: cfg.RateLimits.Lockout.Base.D(), LockoutMax: cfg.RateLimits.Lockout.Max.D(),
		Keyring: c.ring, DeviceTTL: cfg.RateLimits.Lockout.DeviceTTL.D(),
		AccessTokenTTL: cfg.Tokens.AccessTokenTTL.D(), RefreshTokenTTL: cfg.Tokens.RefreshTokenTTL.D(),
		GrantTTL: cfg.Tokens.GrantTTL.D(), RefreshReuseGrace: cfg.Tokens.RefreshReuseGrace.D(),
		CodeTTL: cfg.Tokens.CodeTTL.D(), LoginTTL: cfg.Tokens.LoginTTL.D(),
		DynamicRegistration: *cfg.Registration.Dynamic, ClientTTL: cfg.Registration.ClientTTL.D(),
		RedirectPolicy: redirectPolicy(cfg),
		SecureCookies:  secureCookies(cfg), Debug: cfg.Log.OAuthDebug,
		Limiter: c.limiter, Limits: authLimits(cfg), Metrics: c.metrics, Metadata: md,
		Now: opt.Now, Log: opt.Log,
	}
	if cfg.Tokens.DPoPNonce {
		o.DPoPNonces = &dpop.Nonces{Key: c.ring.Derive("dpop-nonce"), Now: opt.Now}
	}
	for i := range cfg.Backends {
		sv := &cfg.Backends[i]
		o.Resources = append(o.Resources, authserver.Resource{URL: cfg.ResourceURL(sv), Title: sv.Title,
			Scopes: sv.Scopes, Optional: stepUpScopes(sv)})
	}
	for _, c := range cfg.Clients {
		o.Clients = append(o.Clients, authserver.ConfigClient{ID: c.ID, Secret: c.Secret, Name: c.Name,
			RedirectURIs: c.RedirectURIs, SkipConsent: c.SkipConsent, GrantTypes: c.GrantTypes,
			AuthMethod: c.TokenEndpointAuthMethod, JWKS: c.JWKS, JWKSURI: c.JWKSURI, Scopes: c.Scopes})
	}
	o.ScopeDescriptions = map[string]string{}
	for _, sc := range cfg.Scopes {
		o.ScopeDescriptions[sc.Name] = sc.Description
		if sc.Sensitive {
			o.SensitiveScopes = append(o.SensitiveScopes, sc.Name)
		}
	}
	o.Enterprise = enterpriseIssuers(cfg)
	for _, a := range cfg.Enterprise.Issue {
		o.Issue = append(o.Issue, authserver.IssueAudience{Audience: a.Audience, Resources: a.Resources,
			Scopes: a.Scopes, Clients: a.Clients, Lifetime: a.Lifetime.D()})
	}
	for _, in := range cfg.Introspection.Clients {
		o.Introspectors = append(o.Introspectors, authserver.Introspector{ID: in.ID, Secret: in.Secret})
	}
	if consoleEnabled(cfg) {
		client, resource := consoleClient(cfg)
		o.Clients = append(o.Clients, client)
		o.Resources = append(o.Resources, resource)
	}
	in.setOn(cfg, &o)
	if vlt != nil { // a nil *vault.Vault would be a non-nil Vault
		o.Vault = vlt
	}
	if adminEnabled(cfg) {
		o.Resources = append(o.Resources, authserver.Resource{URL: cfg.Issuer() + admin.Path,
			Title: "Drawbridge administration", Scopes: []string{admin.Scope}, ExplicitOnly: true})
	}
	return o
}

// enterpriseIssuers are the trusted enterprise IdPs, their servers named
// by resource URL.
func enterpriseIssuers(cfg *config.Config) []idjag.Issuer {
	var out []idjag.Issuer
	for _, idp := range cfg.Enterprise.IdPs {
		is := idjag.Issuer{Issuer: idp.Issuer, JWKSURI: idp.JWKSURI, Clients: idp.Clients, Scopes: idp.Scopes,
			Claims: idjag.Claims{Subject: idp.Claims.Subject, Email: idp.Claims.Email, Name: idp.Claims.Name, Groups: idp.Claims.Groups, Roles: idp.Claims.Roles}}
		for i := range cfg.Backends {
			if slices.Contains(idp.Servers, cfg.Backends[i].Name) {
				is.Resources = append(is.Resources, cfg.ResourceURL(&cfg.Backends[i]))
			}
		}
		out = append(out, is)
	}
	return out
}

// metadataOptions configures the fetcher of client ID metadata documents.
func metadataOptions(cfg *config.Config, opt Options) cimd.Options {
	md := cfg.Registration.MetadataDocuments
	return cimd.Options{
		AllowPrivateNetworks: md.AllowPrivateNetworks, AllowDomains: md.AllowDomains, DenyDomains: md.DenyDomains,
		FailureTTL: md.FailureTTL.D(), HostFetches: md.HostFetches, HostWindow: md.HostWindow.D(), HostConcurrency: md.HostConcurrency,
		RedirectPolicy: redirectPolicy(cfg), RootCAs: opt.MetadataRootCAs, Now: opt.Now, Log: opt.Log,
	}
}

// newMetadataFetcher is nil when client ID metadata documents are off.
func newMetadataFetcher(cfg *config.Config, opt Options) (*cimd.Fetcher, error) {
	if !*cfg.Registration.MetadataDocuments.Enabled {
		return nil, nil
	}
	return cimd.New(metadataOptions(cfg, opt))
}

// redirectPolicy is the one rule for redirect URIs, applied at
// registration and to metadata documents alike.
func redirectPolicy(cfg *config.Config) oauth.RedirectPolicy {
	return oauth.RedirectPolicy{AllowPrivateUseSchemes: cfg.Registration.AllowPrivateUseSchemes}
}

// secureCookies: __Host- cookies marked Secure on https public URLs; plain
// cookies for http loopback development.
func secureCookies(cfg *config.Config) bool { return strings.HasPrefix(cfg.PublicURL, "https://") }

func adminEnabled(cfg *config.Config) bool {
	return len(cfg.Admin.Users)+len(cfg.Admin.Groups) > 0
}
