package oauthclient

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
	assertion *ClientAssertion
	client    *http.Client
	now       func() time.Time
}

// defaultHTTPTimeout bounds a token request when Options.HTTPClient is nil.
const defaultHTTPTimeout = 30 * time.Second

// Options configures New.
type Options struct {
	// Name identifies the endpoint in errors (a server or provider name).
	Name     string
	TokenURL string
	ClientID string
	// ClientSecret or Certificate authenticates the client; neither makes
	// a public client that sends only client_id.
	ClientSecret string
	Certificate  *Certificate
	// Assertion, instead of Certificate, is a client assertion already
	// prepared for this endpoint (a sign-in provider makes it from its
	// discovery document).
	Assertion *ClientAssertion
	// Entra shapes the certificate assertion the way Entra ID wants it
	// (PS256, x5t#S256 only), and sends the secret in the form.
	Entra bool
	// BasicAuth sends the secret with HTTP Basic (client_secret_basic)
	// rather than in the form (client_secret_post).
	BasicAuth  bool
	HTTPClient *http.Client
	// Now is the clock for assertions; default time.Now.
	Now func() time.Time
}

// New checks the options; it makes no request.
func New(o Options) (*TokenClient, error) {
	if err := checkTokenURL(o.TokenURL); err != nil {
		return nil, fmt.Errorf("oauthclient: %s: token_url: %w", o.Name, err)
	}
	if o.ClientID == "" {
		return nil, fmt.Errorf("oauthclient: %s: client_id is empty", o.Name)
	}
	if o.ClientSecret != "" && (o.Certificate != nil || o.Assertion != nil) {
		return nil, fmt.Errorf("oauthclient: %s: client_secret and client_certificate are both set; use one", o.Name)
	}
	c := &TokenClient{name: o.Name, tokenURL: o.TokenURL, clientID: o.ClientID, secret: o.ClientSecret,
		basic: o.BasicAuth && !o.Entra, assertion: o.Assertion, client: o.HTTPClient, now: o.Now}
	if c.client == nil {
		c.client = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if o.Certificate != nil {
		if err := o.Certificate.Validate(); err != nil {
			return nil, fmt.Errorf("oauthclient: %s: client_certificate: %w", o.Name, err)
		}
		a, err := NewClientAssertion(o.Certificate, o.ClientID, o.TokenURL, o.Entra, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("oauthclient: %s: %w", o.Name, err)
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
		return nil, errors.New("oauthclient: Token needs a grant_type")
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
			return nil, fmt.Errorf("oauthclient: %s: signing the client assertion: %w", c.name, err)
		}
		params.Set("client_assertion_type", ClientAssertionType)
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

func (c *TokenClient) tokenError(err error) error { return RequestError(c.name, err) }
