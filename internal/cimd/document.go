package cimd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// Document is a client ID metadata document that passed validation
// (draft §4.1, with the client metadata of RFC 7591 §2). Defaults are
// filled in: GrantTypes, ResponseTypes, TokenEndpointAuthMethod and
// ApplicationType are never empty.
type Document struct {
	// ClientID equals the URL the document was fetched from, byte for byte.
	ClientID string
	// ClientName is self-asserted by whoever controls ClientID's host; pages
	// must show it as such, next to that host (§6.4).
	ClientName string
	ClientURI  string
	LogoURI    string
	TOSURI     string
	PolicyURI  string
	// RedirectURIs are the registered redirect URIs (§4.5): authorization
	// requests must match one of them (oauth.MatchRedirectURI).
	RedirectURIs  []string
	GrantTypes    []string
	ResponseTypes []string
	// TokenEndpointAuthMethod is "none" or "private_key_jwt" (§4.1, §6.2).
	TokenEndpointAuthMethod string
	// ApplicationType is the document's application_type, or "native" when it
	// has none and every redirect URI is loopback or a private-use scheme,
	// else "web". Without a declared type, each redirect URI was checked as
	// its own form implies, so a "web" document may list loopback URIs too.
	ApplicationType string
	Scope           string
	Contacts        []string
	SoftwareID      string
	SoftwareVersion string
	// JWKSURI or JWKS (never both) hold the public keys that private_key_jwt
	// assertions are checked with. JWKS holds public keys only. Fetch
	// JWKSURI with Fetcher.Client, never a default client (§6.5).
	JWKSURI string
	JWKS    json.RawMessage
	// OnlyLoopbackRedirects is true when every redirect URI points at the
	// loopback interface. Any local program can listen there, so a document
	// cannot stop another program from using this client_id: the consent
	// page should warn (MCP security considerations, "Localhost Redirect URI
	// Risks").
	OnlyLoopbackRedirects bool
	// Raw is the document as served; it never holds a client secret.
	Raw json.RawMessage
	// FetchedAt is when the response arrived; ExpiresAt is when the cached
	// copy stops being used (equal to FetchedAt when it was not cached).
	FetchedAt time.Time
	ExpiresAt time.Time
}

// Limits on what a document may hold; the same as for dynamic registration.
const (
	maxRedirectURIs = 20
	maxTextLength   = 200
	maxURLLength    = 2048
	maxContacts     = 10
)

// Token endpoint authentication methods a document may name (§4.1, §6.2).
const (
	AuthMethodNone          = "none"
	AuthMethodPrivateKeyJWT = "private_key_jwt"
)

const (
	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"
	grantClientCredentials = "client_credentials"
)

// ParseDocument validates body as the client ID metadata document found at
// clientID. It does no I/O; Fetch calls it on every response. p says which
// redirect URI schemes are acceptable, as for dynamic registration.
// Every error is an *Error of kind KindInvalidDocument.
func ParseDocument(clientID string, body []byte, p oauth.RedirectPolicy) (*Document, error) {
	m, err := parseObject(body)
	if err != nil {
		return nil, invalid(err, "the client metadata document is not a JSON object")
	}
	for k := range m {
		// §4.1: a document is public, so it can hold no shared secret.
		if strings.EqualFold(k, "client_secret") || strings.EqualFold(k, "client_secret_expires_at") {
			return nil, invalid(nil, "the client metadata document must not contain client_secret or client_secret_expires_at")
		}
	}
	d, err := decodeDocument(m)
	if err != nil {
		return nil, err
	}
	d.Raw = slices.Clone(body)
	if err := d.validate(clientID, p); err != nil {
		return nil, err
	}
	return d, nil
}

func invalid(cause error, description string) *Error {
	return errorf(KindInvalidDocument, cause, description)
}

// parseObject reads a JSON object's members by their exact, unescaped names.
// It refuses duplicate names and trailing data: encoding/json would keep the
// last duplicate and match names without regard to case, so another parser
// could read a different client_id from the same bytes.
func parseObject(body []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(body) {
		return nil, errors.New("not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	m := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("duplicate member %q", key)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		m[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}

func decodeDocument(m map[string]json.RawMessage) (*Document, error) {
	d := &Document{}
	fields := []struct {
		name string
		dst  any
	}{
		{"client_id", &d.ClientID}, {"client_name", &d.ClientName},
		{"client_uri", &d.ClientURI}, {"logo_uri", &d.LogoURI},
		{"tos_uri", &d.TOSURI}, {"policy_uri", &d.PolicyURI},
		{"redirect_uris", &d.RedirectURIs}, {"grant_types", &d.GrantTypes},
		{"response_types", &d.ResponseTypes}, {"token_endpoint_auth_method", &d.TokenEndpointAuthMethod},
		{"application_type", &d.ApplicationType}, {"scope", &d.Scope},
		{"contacts", &d.Contacts}, {"software_id", &d.SoftwareID},
		{"software_version", &d.SoftwareVersion}, {"jwks_uri", &d.JWKSURI},
	}
	for _, f := range fields {
		raw, ok := m[f.name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, f.dst); err != nil {
			kind := "a string"
			if _, list := f.dst.(*[]string); list {
				kind = "an array of strings"
			}
			return nil, invalid(err, f.name+" must be "+kind)
		}
	}
	if raw, ok := m["jwks"]; ok && string(raw) != "null" {
		d.JWKS = slices.Clone(raw)
	}
	return d, nil
}

// clone returns a deep copy, so callers can't change a cached document.
func (d *Document) clone() *Document {
	c := *d
	c.RedirectURIs = slices.Clone(d.RedirectURIs)
	c.GrantTypes = slices.Clone(d.GrantTypes)
	c.ResponseTypes = slices.Clone(d.ResponseTypes)
	c.Contacts = slices.Clone(d.Contacts)
	c.JWKS = slices.Clone(d.JWKS)
	c.Raw = slices.Clone(d.Raw)
	return &c
}
