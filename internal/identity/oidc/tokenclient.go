package oidc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TokenClient makes token requests as one client at one token endpoint:
// refreshes, token exchange (RFC 8693), on-behalf-of. It authenticates the
// way the client is registered, with a secret or with a certificate
// (private_key_jwt, a fresh assertion per request), and it never puts a
// response body or a request parameter into an error.
type TokenClient struct {
	name      string
	tokenURL  string
	clientID  string
	secret    string
	basic     bool
	assertion *clientAssertion
	client    *http.Client
	now       func() time.Time
}

// TokenClientOptions configures NewTokenClient.
type TokenClientOptions struct {
	// Name identifies the endpoint in errors (a server or provider name).
	Name     string
	TokenURL string
	ClientID string
	// ClientSecret or Certificate authenticates the client; neither makes
	// a public client that sends only client_id.
	ClientSecret string
	Certificate  *Certificate
	// Entra shapes the certificate assertion the way Entra ID wants it
	// (PS256, x5t#S256 only), and sends the secret in the form.
	Entra bool
	// BasicAuth sends the secret with HTTP Basic (client_secret_basic)
	// rather than in the form (client_secret_post).
	BasicAuth  bool
	HTTPClient *http.Client
}

// NewTokenClient checks the options; it makes no request.
func NewTokenClient(o TokenClientOptions) (*TokenClient, error) {
	if err := checkURL(o.TokenURL, true); err != nil {
		return nil, fmt.Errorf("oidc: %s: token_url: %w", o.Name, err)
	}
	if o.ClientID == "" {
		return nil, fmt.Errorf("oidc: %s: client_id is empty", o.Name)
	}
	if o.ClientSecret != "" && o.Certificate != nil {
		return nil, fmt.Errorf("oidc: %s: client_secret and client_certificate are both set; use one", o.Name)
	}
	c := &TokenClient{name: o.Name, tokenURL: o.TokenURL, clientID: o.ClientID, secret: o.ClientSecret,
		basic: o.BasicAuth && !o.Entra, client: o.HTTPClient, now: time.Now}
	if c.client == nil {
		c.client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if o.Certificate != nil {
		if err := o.Certificate.validate(); err != nil {
			return nil, fmt.Errorf("oidc: %s: client_certificate: %w", o.Name, err)
		}
		a, err := newClientAssertion(o.Certificate, o.ClientID, o.TokenURL, o.Entra, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("oidc: %s: %w", o.Name, err)
		}
		c.assertion = a
	}
	return c, nil
}

// TokenURL is the endpoint the client talks to.
func (c *TokenClient) TokenURL() string { return c.tokenURL }

// ClientID is the client it authenticates as.
func (c *TokenClient) ClientID() string { return c.clientID }

// Token posts form (which must hold grant_type) with the client's
// authentication and returns the token response. A refusal is a
// *TokenError with the provider's error code.
func (c *TokenClient) Token(ctx context.Context, form url.Values) (*oauth2.Token, error) {
	if form.Get("grant_type") == "" {
		return nil, errors.New("oidc: Token needs a grant_type")
	}
	params := url.Values{}
	for k, v := range form {
		params[k] = v
	}
	style := oauth2.AuthStyleInParams
	if c.basic && c.secret != "" {
		style = oauth2.AuthStyleInHeader
	}
	if c.assertion != nil {
		raw, err := c.assertion.sign(c.now())
		if err != nil {
			return nil, fmt.Errorf("oidc: %s: signing the client assertion: %w", c.name, err)
		}
		params.Set("client_assertion_type", clientAssertionType)
		params.Set("client_assertion", raw)
	}
	// clientcredentials does the request, the response parsing (expires_in
	// as a number or a string) and the error parsing; grant_type in
	// EndpointParams replaces its own, which the package allows on purpose.
	cfg := clientcredentials.Config{ClientID: c.clientID, ClientSecret: c.secret, TokenURL: c.tokenURL,
		EndpointParams: params, AuthStyle: style}
	tok, err := cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, c.client))
	if err != nil {
		return nil, c.tokenError(err)
	}
	return tok, nil
}

func (c *TokenClient) tokenError(err error) error { return tokenError(c.name, err) }

// TokenClient returns a client for the provider's own token endpoint,
// authenticated as Drawbridge is for sign-ins: what refreshes the user's
// upstream tokens and, by default, exchanges them for backends. It fetches
// the discovery document if that has not happened yet.
func (p *Provider) TokenClient(ctx context.Context) (*TokenClient, error) {
	d, err := p.discovered(ctx)
	if err != nil {
		return nil, err
	}
	return &TokenClient{name: p.name, tokenURL: d.oauth.Endpoint.TokenURL, clientID: p.oauth.ClientID,
		secret: p.oauth.ClientSecret, basic: !p.entra && d.oauth.Endpoint.AuthStyle != oauth2.AuthStyleInParams,
		assertion: d.assertion, client: p.client, now: p.now}, nil
}

// Refresh redeems an upstream refresh token (RFC 6749, section 6) at the
// provider. The answer's refresh token, if any, replaces the old one.
func (p *Provider) Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	if refreshToken == "" {
		return nil, errors.New("oidc: Refresh needs a refresh token")
	}
	tc, err := p.TokenClient(ctx)
	if err != nil {
		return nil, err
	}
	return tc.Token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// IsEntra reports whether the provider follows Entra ID's rules.
func (p *Provider) IsEntra() bool { return p.entra }

// Token makes a token request at the provider's token endpoint as the
// client users sign in with (token exchange, on-behalf-of).
func (p *Provider) Token(ctx context.Context, form url.Values) (*oauth2.Token, error) {
	tc, err := p.TokenClient(ctx)
	if err != nil {
		return nil, err
	}
	return tc.Token(ctx, form)
}
