package authserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/drawbridge-mcp/drawbridge/internal/cimd"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/idjag"
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
	// ccScopes are what client_credentials tokens may carry; nil means the
	// resource's scopes that are not sensitive (machineScopes).
	ccScopes []string
	// For clients known by a metadata document: whether every redirect is
	// loopback (the consent page warns), and whether its keys must be
	// fetched with the SSRF-safe client.
	onlyLoopback bool
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
	// The configuration's defaults, for callers that leave them out (tests).
	if len(cl.GrantTypes) == 0 {
		cl.GrantTypes = config.DefaultGrantTypes()
	}
	if c.Secret != "" {
		cl.SecretHash = tokens.Hash(c.Secret)
	}
	if cl.TokenEndpointAuthMethod == "" {
		cl.TokenEndpointAuthMethod = config.DefaultClientAuthMethod
		if c.Secret != "" {
			cl.TokenEndpointAuthMethod = config.DefaultConfidentialClientMethod
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
	// grantJWTBearer redeems an ID-JAG (token_jwtbearer.go).
	grantJWTBearer = idjag.GrantType
)

var (
	errUnknownClient = errors.New("unknown client")
	// errClientBlocked: an administrator blocked this metadata-document
	// client, by its client_id URL or its host.
	errClientBlocked = errors.New("client blocked by an administrator")
)

// lookupClient finds a client in the order of MCP "Client Registration":
// pre-registered, then a client ID metadata document when the id is an
// https URL, then stored dynamic registrations. Disabled and expired
// clients are unknown; blocked metadata-document clients give
// errClientBlocked. A metadata document that cannot be used gives a
// *cimd.Error whose Description may be shown.
func (s *Server) lookupClient(ctx context.Context, id string) (*client, error) {
	if id == "" || len(id) > 512 {
		return nil, errUnknownClient
	}
	if c, ok := s.clients[id]; ok {
		return c, nil
	}
	if strings.HasPrefix(id, "https://") && s.opt.Metadata != nil {
		// Before the fetch, so that a block holds for a document the
		// fetcher has cached (on any replica: blocks are in the store) and
		// a blocked host is not even asked.
		if err := s.checkBlocked(ctx, id); err != nil {
			return nil, err
		}
		doc, err := s.opt.Metadata.Fetch(ctx, id)
		if err != nil {
			return nil, err
		}
		return documentClient(doc)
	}
	c, err := s.opt.Store.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, errUnknownClient
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errStoreFailed, err)
	}
	if c.Disabled || (!c.ExpiresAt.IsZero() && !s.opt.Now().Before(c.ExpiresAt)) {
		return nil, errUnknownClient
	}
	return &client{Client: c}, nil
}

// checkBlocked refuses a metadata-document client that an administrator
// blocked, by its client_id URL or by its host or a domain above it (the
// one rule for what a block matches: the client_id as given, or
// cimd.BlockHosts of it). A store that cannot be read refuses too
// (errStoreFailed): a block must not lapse while the database is down.
func (s *Server) checkBlocked(ctx context.Context, id string) error {
	// No hosts for a malformed URL, which the fetcher refuses anyway.
	b, err := s.opt.Store.FindClientBlock(ctx, id, cimd.BlockHosts(id))
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("%w: %w", errStoreFailed, err)
	}
	s.opt.Log.Warn("blocked client refused", "client_id", id, "block", b.Kind, "blocked", b.Value)
	return errClientBlocked
}

// blockedPage tells a person that the application that sent them is
// blocked. It never redirects to the client: its redirect URI is not to be
// trusted any more.
func (s *Server) blockedPage(w http.ResponseWriter) {
	s.errorPage(w, http.StatusForbidden, "An administrator of this server has blocked this application.",
		"You were not sent back to it. Ask your administrator if you think this is a mistake.")
}

// checkSecret compares a presented secret with the stored hash in constant time.
func (c *client) checkSecret(secret string) bool {
	if c.SecretHash == "" || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(tokens.Hash(secret)), []byte(c.SecretHash)) == 1
}

// allowsGrant: a client may use the grants it registered, except that
// client_credentials is only for clients the operator configured. That
// grant issues tokens with no user and no consent, so the client's
// registration is the only authorization there is: a client ID metadata
// document or a dynamic registration is written by whoever controls the
// client, so it can authorize nothing (RFC 6749 §4.4 leaves it to the
// authorization server which clients may use the grant; issue #13).
func (c *client) allowsGrant(g string) bool {
	if (g == grantClientCredentials || g == grantJWTBearer) && c.Kind != storage.ClientKindConfig {
		return false
	}
	return containsString(c.GrantTypes, g)
}

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

// documentClient makes a client of a fetched metadata document. Nothing is
// stored: the document (cached by the fetcher) is the registration.
func documentClient(d *cimd.Document) (*client, error) {
	c := &client{onlyLoopback: d.OnlyLoopbackRedirects, jwksURI: d.JWKSURI, Client: storage.Client{
		ID: d.ClientID, Name: d.ClientName, RedirectURIs: d.RedirectURIs, GrantTypes: d.GrantTypes,
		ResponseTypes: d.ResponseTypes, TokenEndpointAuthMethod: d.TokenEndpointAuthMethod,
		ApplicationType: d.ApplicationType, Scope: d.Scope, Kind: storage.ClientKindCIMD, Metadata: d.Raw,
	}}
	if len(d.JWKS) > 0 {
		set, err := parseJWKS(string(d.JWKS))
		if err != nil {
			return nil, errUnknownClient
		}
		c.jwks = set
	}
	return c, nil
}

// clientRefusal names a lookup failure for the audit trail: a reason and
// words that may be shown to an administrator.
func clientRefusal(err error) (reason, detail string) {
	var ce *cimd.Error
	if errors.As(err, &ce) {
		return "client_metadata_" + strings.ReplaceAll(ce.Kind.String(), " ", "_"), ce.Description
	}
	return "unknown_client", "the client_id is not registered with this server (or its registration expired or was disabled)"
}

// clientError describes a lookup failure for a person or an OAuth error.
func clientError(err error) string {
	var ce *cimd.Error
	if errors.As(err, &ce) {
		return "The application's client metadata document could not be used: " + ce.Description
	}
	return "Unknown or missing client_id. The application may need to register again."
}
