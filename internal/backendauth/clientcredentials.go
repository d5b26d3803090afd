package backendauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// ClientCredentials gets the backend a token of its own from any OAuth
// token endpoint with the client-credentials grant (RFC 6749 §4.4). The
// token is cached until shortly before it expires, and one request fetches
// a new one while every other request waits for it (singleflight).
type ClientCredentials struct {
	client *oauthclient.TokenClient
	form   url.Values
	cache  tokenCache
}

var _ Credential = (*ClientCredentials)(nil)

// ClientCredentialsConfig configures ClientCredentials.
type ClientCredentialsConfig struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	// Certificate authenticates with a client assertion instead of the
	// secret.
	Certificate *oauthclient.Certificate
	Scopes      []string
	// Audience and Resource are sent when set (RFC 8707 resource; many
	// providers use audience).
	Audience string
	Resource string
	// HTTPClient talks to the token endpoint.
	HTTPClient *http.Client
	Now        func() time.Time
}

// NewClientCredentials builds the credential; no request is made yet.
func NewClientCredentials(c ClientCredentialsConfig) (*ClientCredentials, error) {
	tc, err := oauthclient.New(oauthclient.Options{Name: "client_credentials", TokenURL: c.TokenURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, Certificate: c.Certificate, BasicAuth: true,
		HTTPClient: c.HTTPClient})
	if err != nil {
		return nil, err
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	setIf(form, "scope", strings.Join(c.Scopes, " "))
	setIf(form, "audience", c.Audience)
	setIf(form, "resource", c.Resource)
	return &ClientCredentials{client: tc, form: form, cache: tokenCache{now: c.Now}}, nil
}

// Headers returns the backend's bearer token; the caller does not matter.
func (c *ClientCredentials) Headers(ctx context.Context, _ *tokens.AccessClaims) (http.Header, error) {
	tok, err := c.cache.get(ctx, "", func(ctx context.Context) (*oauth2.Token, error) {
		tok, err := c.client.Token(ctx, c.form)
		return tok, redact(err)
	})
	if err != nil {
		return nil, err
	}
	return bearer(tok), nil
}

func bearer(tok string) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+tok)
	return h
}

func setIf(form url.Values, k, v string) {
	if v != "" {
		form.Set(k, v)
	}
}
