package tokens

import (
	"errors"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// AccessClaims are the claims of an access token (RFC 9068 §2.2).
type AccessClaims struct {
	Issuer   string    `json:"iss"`
	Subject  string    `json:"sub"`
	Audience string    `json:"-"`
	ClientID string    `json:"client_id"`
	Scope    string    `json:"scope,omitempty"`
	GrantID  string    `json:"gid"`
	ID       string    `json:"jti"`
	IssuedAt time.Time `json:"-"`
	Expiry   time.Time `json:"-"`
	AuthTime time.Time `json:"-"`
	Email    string    `json:"email,omitempty"`
	Name     string    `json:"name,omitempty"`
	Groups   []string  `json:"groups,omitempty"`
	IdP      string    `json:"idp,omitempty"`
	// Confirmation binds the token to a DPoP key (RFC 9449 §6.1): only
	// requests with a proof of that key may use it.
	Confirmation *Confirmation `json:"cnf,omitempty"`
}

// Confirmation is the cnf claim (RFC 7800 §3.1) of a DPoP-bound token.
type Confirmation struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the key.
	JKT string `json:"jkt"`
}

// BoundKey returns the thumbprint of the key the token is bound to, or
// "" for a bearer token.
func (c *AccessClaims) BoundKey() string {
	if c.Confirmation == nil {
		return ""
	}
	return c.Confirmation.JKT
}

// wireClaims is the JSON form; times are NumericDate (RFC 7519 §2).
type wireClaims struct {
	AccessClaims
	Aud      jwt.Audience     `json:"aud"`
	Iat      *jwt.NumericDate `json:"iat"`
	Exp      *jwt.NumericDate `json:"exp"`
	Nbf      *jwt.NumericDate `json:"nbf,omitempty"`
	AuthTime *jwt.NumericDate `json:"auth_time,omitempty"`
}

// Identity returns the user the token speaks for.
func (c *AccessClaims) Identity() storage.Identity {
	return storage.Identity{Subject: c.Subject, Email: c.Email, Name: c.Name, Groups: c.Groups, Provider: c.IdP}
}

// Mint signs an access token with the current key. ID and IssuedAt are
// filled in when empty.
func (k *Keys) Mint(c AccessClaims) (string, error) {
	s := k.currentKey()
	if s == nil {
		return "", errors.New("tokens: no signing key")
	}
	if c.ID == "" {
		c.ID = NewID()
	}
	w := wireClaims{
		AccessClaims: c,
		Aud:          jwt.Audience{c.Audience},
		Iat:          jwt.NewNumericDate(c.IssuedAt),
		Exp:          jwt.NewNumericDate(c.Expiry),
		Nbf:          jwt.NewNumericDate(c.IssuedAt),
	}
	if !c.AuthTime.IsZero() {
		w.AuthTime = jwt.NewNumericDate(c.AuthTime)
	}
	return s.sign(s.access, w)
}

// Sign signs arbitrary claims with the current key, typ "JWT": identity
// assertions for backends. Their type differs from access tokens' (at+jwt)
// so neither can pass for the other (RFC 8725 §3.11). The claims must
// encode as a JSON object.
func (k *Keys) Sign(claims any) (string, error) {
	s := k.currentKey()
	if s == nil {
		return "", errors.New("tokens: no signing key")
	}
	return s.sign(s.plain, claims)
}

// TypeIDJAG is the typ of an Identity Assertion JWT Authorization Grant
// (draft-ietf-oauth-identity-assertion-authz-grant §3).
const TypeIDJAG = "oauth-id-jag+jwt"

// SignGrant signs an identity assertion grant (ID-JAG) for another
// authorization server with the current key. Its typ keeps it from passing
// for an access token or a backend's identity assertion, and theirs from
// passing for it (RFC 8725 §3.11). The claims must encode as a JSON object.
func (k *Keys) SignGrant(claims any) (string, error) {
	s := k.currentKey()
	if s == nil {
		return "", errors.New("tokens: no signing key")
	}
	return s.sign(s.grant, claims)
}
