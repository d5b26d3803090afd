package authserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// client is a registered client, wherever it came from.
type client struct {
	storage.Client
	skipConsent bool
	// For private_key_jwt: inline keys or where to fetch them.
	jwks    *jose.JSONWebKeySet
	jwksURI string
	// ccScopes limits client_credentials tokens; nil means any known scope.
	ccScopes []string
}

func configClient(c ConfigClient, now time.Time) (*client, error) {
	cl := &client{skipConsent: c.SkipConsent, jwksURI: c.JWKSURI, ccScopes: c.Scopes, Client: storage.Client{
		ID:                      c.ID,
		Name:                    c.Name,
		RedirectURIs:            c.RedirectURIs,
		GrantTypes:              c.GrantTypes,
		ResponseTypes:           []string{"code"},
		TokenEndpointAuthMethod: c.AuthMethod,
		Kind:                    storage.ClientKindConfig,
		CreatedAt:               now,
	}}
	if len(cl.GrantTypes) == 0 {
		cl.GrantTypes = []string{grantAuthorizationCode, grantRefreshToken}
	}
	if c.Secret != "" {
		cl.SecretHash = tokens.Hash(c.Secret)
	}
	if cl.TokenEndpointAuthMethod == "" {
		cl.TokenEndpointAuthMethod = authNone
		if c.Secret != "" {
			cl.TokenEndpointAuthMethod = authSecretBasic
		}
	}
	if c.JWKS != "" {
		set, err := parseJWKS(c.JWKS)
		if err != nil {
			return nil, fmt.Errorf("client %s: %w", c.ID, err)
		}
		cl.jwks = set
	}
	if cl.Name == "" {
		cl.Name = c.ID
	}
	return cl, nil
}

// Token endpoint client authentication methods (RFC 7591 §2).
const (
	authNone        = "none"
	authSecretBasic = "client_secret_basic"
	authSecretPost  = "client_secret_post"
)

// Grant types (RFC 6749).
const (
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
	grantClientCredentials = "client_credentials"
)

var errUnknownClient = errors.New("unknown client")

// lookupClient finds a client: pre-registered first, then stored
// registrations (MCP "Client Registration" order). Disabled and expired
// clients are unknown.
func (s *Server) lookupClient(ctx context.Context, id string) (*client, error) {
	if id == "" || len(id) > 512 {
		return nil, errUnknownClient
	}
	if c, ok := s.clients[id]; ok {
		return c, nil
	}
	c, err := s.opt.Store.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errUnknownClient
	}
	if err != nil {
		return nil, err
	}
	if c.Disabled || (!c.ExpiresAt.IsZero() && !s.opt.Now().Before(c.ExpiresAt)) {
		return nil, errUnknownClient
	}
	return &client{Client: c}, nil
}

// checkSecret compares a presented secret with the stored hash in constant time.
func (c *client) checkSecret(secret string) bool {
	if c.SecretHash == "" || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(tokens.Hash(secret)), []byte(c.SecretHash)) == 1
}

func (c *client) allowsGrant(g string) bool { return containsString(c.GrantTypes, g) }

// touchClient slides a dynamic client's expiry forward when it is used, so
// only unused registrations expire.
func (s *Server) touchClient(ctx context.Context, c *client) {
	if c.Kind != storage.ClientKindDynamic {
		return
	}
	now := s.opt.Now()
	if now.Sub(c.LastUsedAt) < time.Hour {
		return
	}
	err := s.opt.Store.UpdateClient(ctx, c.ID, func(sc storage.Client) (storage.Client, error) {
		sc.LastUsedAt = now
		sc.ExpiresAt = now.Add(s.opt.ClientTTL)
		return sc, nil
	})
	if err != nil {
		s.opt.Log.Warn("could not record client use", "client_id", c.ID, "err", err)
	}
}
