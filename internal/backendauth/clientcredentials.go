package backendauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// ClientCredentials gets the backend a token of its own from any OAuth
// token endpoint with the client-credentials grant (RFC 6749 §4.4). The
// token is cached until shortly before it expires, and only one refresh
// runs at a time (oauth2.ReuseTokenSource).
type ClientCredentials struct {
	ts oauth2.TokenSource
}

var _ Credential = (*ClientCredentials)(nil)

// ClientCredentialsConfig configures ClientCredentials.
type ClientCredentialsConfig struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scopes       []string
	// Audience and Resource are sent when set (RFC 8707 resource; many
	// providers use audience).
	Audience string
	Resource string
	// HTTPClient talks to the token endpoint.
	HTTPClient *http.Client
}

// NewClientCredentials builds the credential; no request is made yet.
func NewClientCredentials(c ClientCredentialsConfig) *ClientCredentials {
	params := url.Values{}
	if c.Audience != "" {
		params.Set("audience", c.Audience)
	}
	if c.Resource != "" {
		params.Set("resource", c.Resource)
	}
	cfg := &clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL,
		Scopes: c.Scopes, EndpointParams: params}
	ctx := context.Background()
	if c.HTTPClient != nil {
		ctx = context.WithValue(ctx, oauth2.HTTPClient, c.HTTPClient)
	}
	// cfg.TokenSource already reuses a valid token and serialises
	// refreshes behind one mutex.
	return &ClientCredentials{ts: cfg.TokenSource(ctx)}
}

// Headers returns the backend's bearer token; the caller does not matter.
func (c *ClientCredentials) Headers(_ context.Context, _ *tokens.AccessClaims) (http.Header, error) {
	tok, err := c.ts.Token()
	if err != nil {
		return nil, fmt.Errorf("backend token: %w", errWithoutSecrets(err))
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+tok.AccessToken)
	return h, nil
}

// errWithoutSecrets keeps the OAuth error code of a failed token request
// and drops the response body, which could echo credentials.
func errWithoutSecrets(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		return fmt.Errorf("token endpoint answered %d %s", status, re.ErrorCode)
	}
	return err
}
