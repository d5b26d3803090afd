package storagetest

import (
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// base has a nanosecond part, so that a store keeping less precision fails.
var base = time.Date(2026, time.March, 14, 15, 9, 26, 535897932, time.UTC)

// at is the injected clock: base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// elsewhere gives the same instant in a zone that is not UTC, to check that
// stores keep instants, not zones.
func elsewhere(t time.Time) time.Time { return t.In(time.FixedZone("UTC+05:30", 5*3600+1800)) }

// The fixtures below set every field, so that a column a backend forgets
// shows up as a difference.

func newClient(id string) storage.Client {
	return storage.Client{
		ID:                      id,
		SecretHash:              "secret-hash-" + id,
		Name:                    "Client " + id,
		RedirectURIs:            []string{"https://" + id + ".example/callback", "http://127.0.0.1/callback"},
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		TokenEndpointAuthMethod: "client_secret_post",
		ApplicationType:         "web",
		Scope:                   "mcp:read mcp:write",
		Kind:                    storage.ClientKindDynamic,
		Metadata:                []byte(`{"client_name":"Client ` + id + `"}`),
		CreatedAt:               at(0),
		LastUsedAt:              at(time.Minute),
		ExpiresAt:               at(24 * time.Hour),
	}
}

func newIdentity(subject string) storage.Identity {
	return storage.Identity{
		Subject:  subject,
		Email:    subject + "@example.com",
		Name:     "User " + subject,
		Groups:   []string{"staff", "mcp-users"},
		Provider: "oidc",
		Upstream: storage.UpstreamLogin{Issuer: "https://idp.example", Subject: "idp-" + subject, SID: "sid-" + subject},
	}
}

func newAuthRequest(id string) storage.AuthRequest {
	identity := newIdentity("user-1")
	return storage.AuthRequest{
		ID:                id,
		ClientID:          "client-a",
		RedirectURI:       "https://client-a.example/callback",
		State:             "state-" + id,
		Scopes:            []string{"mcp:read", "mcp:write"},
		Resource:          "https://mcp.example/mcp",
		CodeChallenge:     "challenge-" + id,
		BrowserHash:       "browser-hash-" + id,
		UpstreamState:     "upstream-state-hash-" + id,
		UpstreamNonce:     "nonce-" + id,
		UpstreamSessionID: "session-" + id,
		DPoPJKT:           "jkt-" + id,
		Identity:          &identity,
		AuthTime:          at(30 * time.Second),
		CreatedAt:         at(0),
		ExpiresAt:         at(10 * time.Minute),
	}
}

func newAuthCode(hash, grantID string) storage.AuthCode {
	return storage.AuthCode{
		Hash:              hash,
		ClientID:          "client-a",
		RedirectURI:       "https://client-a.example/callback",
		CodeChallenge:     "challenge-" + hash,
		Resource:          "https://mcp.example/mcp",
		Scopes:            []string{"mcp:read"},
		Identity:          newIdentity("user-1"),
		AuthTime:          at(-time.Second),
		GrantID:           grantID,
		UpstreamSessionID: "session-1",
		DPoPJKT:           "jkt-" + hash,
		CreatedAt:         at(0),
		ExpiresAt:         at(time.Minute),
	}
}

func newGrant(id, clientID, subject string) storage.Grant {
	return storage.Grant{
		ID:                id,
		ClientID:          clientID,
		Identity:          newIdentity(subject),
		Scopes:            []string{"mcp:read", "mcp:write"},
		Resource:          "https://mcp.example/mcp",
		UpstreamSessionID: "session-" + id,
		DPoPJKT:           "jkt-" + id,
		AuthTime:          at(-time.Second),
		CreatedAt:         at(0),
		LastUsedAt:        at(time.Millisecond),
		ExpiresAt:         at(30 * 24 * time.Hour),
	}
}

func newRefreshToken(hash string) storage.RefreshToken {
	return storage.RefreshToken{
		Hash:      hash,
		CreatedAt: at(0),
		ExpiresAt: at(7 * 24 * time.Hour),
	}
}

func newUpstreamSession(id string) storage.UpstreamSession {
	return storage.UpstreamSession{
		ID:        id,
		Subject:   "user-1",
		Provider:  "entra",
		Sealed:    []byte{0, 1, 2, 0xfe, 0xff},
		CreatedAt: at(0),
		UpdatedAt: at(time.Second),
		ExpiresAt: at(time.Hour),
	}
}

func newSigningKey(id string) storage.SigningKey {
	return storage.SigningKey{
		ID:            id,
		Algorithm:     "ES256",
		PrivateSealed: []byte("sealed-private-" + id),
		PublicJWK:     []byte(`{"kty":"EC","kid":"` + id + `"}`),
		CreatedAt:     at(0),
		NotAfter:      at(90 * 24 * time.Hour),
		ExpiresAt:     at(100 * 24 * time.Hour),
	}
}
