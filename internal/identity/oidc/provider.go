package oidc

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
)

const (
	defaultHTTPTimeout = 30 * time.Second
	// discoveryTimeout bounds one discovery attempt, so that a login waiting
	// on a hanging provider fails in reasonable time.
	discoveryTimeout = 10 * time.Second
	// discoveryRetryAfter is how long a failed discovery is reported again
	// without a new attempt.
	discoveryRetryAfter = 5 * time.Second
)

// Provider signs users in at one upstream OpenID provider. It is safe for
// concurrent use.
type Provider struct {
	name    string
	issuer  string
	oauth   oauth2.Config // Endpoint filled in from discovery
	claims  ClaimMapping
	extra   map[string]string
	cert    *oauthclient.Certificate // nil: the client secret (or none) authenticates
	entra   bool                     // Entra ID's rules apply
	client  *http.Client
	now     func() time.Time // injected by tests
	discMu  chan struct{}    // a lock that waiting callers can give up on
	disc    atomic.Pointer[discovered]
	lastErr error     // guarded by discMu
	lastTry time.Time // guarded by discMu
}

// discovered is what the discovery document provides.
type discovered struct {
	oauth    oauth2.Config
	verifier *gooidc.IDTokenVerifier
	// logoutVerifier checks logout tokens: as ID tokens, but expiry is
	// checked by VerifyLogoutToken, since exp is optional there.
	logoutVerifier *gooidc.IDTokenVerifier
	assertion      *oauthclient.ClientAssertion // set when a certificate authenticates
	tokens         *oauthclient.TokenClient     // the provider's token endpoint, as this client
}

var _ identity.RedirectProvider = (*Provider)(nil)

// New returns a provider for a generic OpenID provider. It checks the
// options, reporting every problem at once, but does not contact the
// provider: see the package documentation on discovery.
func New(o Options) (*Provider, error) {
	p, err := newProvider(o, isEntraIssuer(o.Issuer))
	if err != nil {
		return nil, fmt.Errorf("oidc: provider %q: %w", o.Name, err)
	}
	return p, nil
}

func newProvider(o Options, entra bool) (*Provider, error) {
	o.setDefaults()
	if err := o.validate(entra); err != nil {
		return nil, err
	}
	p := &Provider{
		name:   o.Name,
		issuer: o.Issuer,
		oauth: oauth2.Config{
			ClientID:     o.ClientID,
			ClientSecret: o.ClientSecret,
			RedirectURL:  o.RedirectURL,
			Scopes:       slices.Clone(o.Scopes),
		},
		claims: o.Claims,
		extra:  make(map[string]string, len(o.ExtraAuthParams)),
		cert:   o.ClientCertificate,
		entra:  entra,
		client: o.HTTPClient,
		now:    time.Now,
		discMu: make(chan struct{}, 1),
	}
	for k, v := range o.ExtraAuthParams {
		p.extra[k] = v
	}
	return p, nil
}

// Name returns the provider's configured name.
func (p *Provider) Name() string { return p.name }

// Ready reports whether the provider's discovery document has been fetched,
// fetching it if not. Use it as a readiness check.
func (p *Provider) Ready(ctx context.Context) error {
	_, err := p.discovered(ctx)
	return err
}

// discovered returns the cached discovery result, fetching it if needed.
// Concurrent callers wait for one attempt; a failure is returned as is for
// discoveryRetryAfter before the next attempt.
func (p *Provider) discovered(ctx context.Context) (*discovered, error) {
	if d := p.disc.Load(); d != nil {
		return d, nil
	}
	select {
	case p.discMu <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p.discMu }()
	if d := p.disc.Load(); d != nil {
		return d, nil
	}
	if p.lastErr != nil && p.now().Sub(p.lastTry) < discoveryRetryAfter {
		return nil, p.lastErr
	}
	d, err := p.discover(ctx)
	if err != nil {
		// A caller that gave up is not the provider's fault; only real
		// failures delay the next attempt.
		if ctx.Err() == nil {
			p.lastErr, p.lastTry = err, p.now()
		}
		return nil, err
	}
	p.disc.Store(d)
	p.lastErr = nil
	return d, nil
}

func (p *Provider) discover(ctx context.Context) (*discovered, error) {
	ctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, p.client), discoveryTimeout)
	defer cancel()
	// go-oidc checks that the document's issuer is exactly ours (OIDC
	// Discovery, section 4.3) and keeps p.client for fetching the JWKS.
	gp, err := gooidc.NewProvider(ctx, p.issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: provider %q: discovery at %s: %w", p.name, p.issuer, err)
	}
	var meta struct {
		CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
		TokenAuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
		TokenAuthAlgs        []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	}
	if err := gp.Claims(&meta); err != nil {
		return nil, fmt.Errorf("oidc: provider %q: discovery document: %w", p.name, err)
	}
	ep := gp.Endpoint()
	switch {
	case ep.AuthURL == "" || ep.TokenURL == "":
		return nil, fmt.Errorf("oidc: provider %q: discovery document lacks the authorization or token endpoint", p.name)
	// Providers that omit the list may still support PKCE (Entra ID does);
	// one that lists methods without S256 would silently ignore ours.
	case meta.CodeChallengeMethods != nil && !slices.Contains(meta.CodeChallengeMethods, "S256"):
		return nil, fmt.Errorf("oidc: provider %q does not support PKCE S256 (code_challenge_methods_supported: %v)", p.name, meta.CodeChallengeMethods)
	}
	d := &discovered{oauth: p.oauth}
	d.oauth.Endpoint = ep
	if p.cert != nil {
		d.assertion, err = oauthclient.NewClientAssertion(p.cert, p.oauth.ClientID, ep.TokenURL, p.entra, meta.TokenAuthMethods, meta.TokenAuthAlgs)
		if err != nil {
			return nil, fmt.Errorf("oidc: provider %q: %w", p.name, err)
		}
		// The assertion goes in the form, and client_id with it: no
		// Authorization header, and no probing of header-then-form that
		// would send the token request twice.
		d.oauth.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	}
	now := func() time.Time { return p.now() }
	d.tokens, err = oauthclient.New(oauthclient.Options{Name: p.name, TokenURL: ep.TokenURL, ClientID: p.oauth.ClientID,
		ClientSecret: p.oauth.ClientSecret, Assertion: d.assertion, Entra: p.entra,
		BasicAuth: d.oauth.Endpoint.AuthStyle != oauth2.AuthStyleInParams, HTTPClient: p.client, Now: now})
	if err != nil {
		return nil, fmt.Errorf("oidc: provider %q: discovery document: %w", p.name, err)
	}
	d.verifier = gp.Verifier(&gooidc.Config{ClientID: p.oauth.ClientID, Now: now})
	d.logoutVerifier = gp.Verifier(&gooidc.Config{ClientID: p.oauth.ClientID, Now: now, SkipExpiryCheck: true})
	return d, nil
}
