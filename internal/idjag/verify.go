package idjag

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// GrantType is RFC 7523's JWT bearer authorization grant (§2.1).
const GrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Profile names the ID-JAG grant profile in authorization server metadata
// (authorization_grant_profiles_supported; draft §7.2, MCP enterprise-
// managed authorization §6).
const Profile = "urn:ietf:params:oauth:grant-profile:id-jag"

// TokenType is the JWT type an ID-JAG carries in its typ header (draft
// §3.1); it keeps an ID token or an access token from passing as a grant.
const TokenType = "oauth-id-jag+jwt"

// MaxLifetime bounds exp - iat: an ID-JAG is a short-lived grant (the draft
// suggests minutes), and its jti is remembered until it expires.
const MaxLifetime = 10 * time.Minute

// Leeway tolerates clocks a little apart when checking exp and iat.
const Leeway = 30 * time.Second

// algs are the signature algorithms accepted: asymmetric only, so that
// nobody but the IdP can sign.
var algs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// Issuer is an enterprise identity provider whose grants Drawbridge
// redeems.
type Issuer struct {
	// Issuer is the IdP's issuer identifier, compared byte for byte with iss.
	Issuer string
	// JWKSURI is where its keys are; empty: found by OpenID discovery.
	JWKSURI string
	// Clients are the client ids that may redeem its grants.
	Clients []string
	// Resources are the resource URLs (MCP servers) it may grant.
	Resources []string
	// Scopes it may grant; nil: the token endpoint's default.
	Scopes []string
	// Claims name the claims that make up the user's identity.
	Claims Claims
}

// Claims map assertion claims to a Drawbridge identity.
type Claims struct {
	Subject, Email, Name, Groups string
	// Roles, if set, names a claim whose values are added to the groups.
	Roles string
}

// Assertion is a verified ID-JAG.
type Assertion struct {
	Issuer   *Issuer
	ID       string // jti
	Subject  string // from Issuer.Claims.Subject
	Email    string
	Name     string
	Groups   []string
	ClientID string
	// Resource is the resource claim; empty when the assertion has none.
	Resource string
	// Scopes are the scope claim's; nil when it has none.
	Scopes []string
	Expiry time.Time
}

// Error is a refused assertion; Description is safe to send to the client
// (it never holds the assertion).
type Error struct{ Description string }

func (e *Error) Error() string { return "id-jag: " + e.Description }

func refuse(format string, a ...any) *Error { return &Error{Description: fmt.Sprintf(format, a...)} }

// Verifier checks ID-JAGs for one authorization server.
type Verifier struct {
	audience string
	issuers  map[string]*Issuer
	client   *http.Client
	now      func() time.Time

	mu   sync.Mutex
	keys map[string]*remoteKeys
	// failed is when an IdP's discovery document last failed to load: it
	// is tried again MinRefetch later, not at every assertion.
	failed map[string]time.Time
}

// NewVerifier returns a verifier of grants addressed to audience (the
// authorization server's issuer) from the given IdPs; hc fetches their
// discovery documents and keys.
func NewVerifier(audience string, issuers []Issuer, hc *http.Client, now func() time.Time) *Verifier {
	v := &Verifier{audience: audience, issuers: map[string]*Issuer{}, client: hc, now: now, keys: map[string]*remoteKeys{}, failed: map[string]time.Time{}}
	for i := range issuers {
		v.issuers[issuers[i].Issuer] = &issuers[i]
	}
	return v
}

// Trusts reports whether any IdP is configured.
func (v *Verifier) Trusts() bool { return v != nil && len(v.issuers) > 0 }

// claims are the ID-JAG's claims (draft §3.1) and those it must not carry.
type claims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Resource any    `json:"resource"`
	Scope    string `json:"scope"`
	// RFC 7800 confirmation and RFC 9396 details: Drawbridge implements
	// neither for ID-JAGs, so an assertion carrying them is refused rather
	// than redeemed without the restriction they express (draft §3.1).
	Cnf                  json.RawMessage `json:"cnf"`
	AuthorizationDetails json.RawMessage `json:"authorization_details"`
}

// Verify checks an ID-JAG (draft §4.3, RFC 7523 §3): typ, a trusted
// issuer's signature, aud this server, exp and iat, and the claims it needs.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Assertion, error) {
	tok, err := jose.ParseSignedCompact(raw, algs)
	if err != nil || len(tok.Signatures) != 1 {
		return nil, refuse("the assertion is not a signed JWT with an accepted algorithm")
	}
	if typ, _ := tok.Signatures[0].Protected.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, TokenType) {
		return nil, refuse("the assertion is not an ID-JAG (typ must be %s)", TokenType)
	}
	var unverified struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(tok.UnsafePayloadWithoutVerification(), &unverified) != nil {
		return nil, refuse("the assertion's payload is not a JSON object")
	}
	idp, ok := v.issuers[unverified.Issuer]
	if !ok {
		return nil, refuse("the assertion's issuer is not a trusted identity provider")
	}
	keys, err := v.keySet(ctx, idp)
	if err != nil {
		return nil, err
	}
	payload, err := keys.verify(ctx, tok)
	if err != nil {
		return nil, refuse("the assertion's signature does not verify with the identity provider's keys")
	}
	return v.check(idp, payload)
}

func (v *Verifier) check(idp *Issuer, payload []byte) (*Assertion, error) {
	var c claims
	var all map[string]any
	if json.Unmarshal(payload, &c) != nil || json.Unmarshal(payload, &all) != nil {
		return nil, refuse("the assertion's claims are malformed")
	}
	now := v.now()
	switch {
	case len(c.Audience) != 1 || c.Audience[0] != v.audience:
		return nil, refuse("the assertion's aud must be this authorization server's issuer")
	case c.Expiry == nil || c.IssuedAt == nil || c.ID == "" || c.Subject == "":
		return nil, refuse("the assertion must carry sub, exp, iat and jti")
	case now.After(c.Expiry.Time().Add(Leeway)):
		return nil, refuse("the assertion has expired")
	case c.IssuedAt.Time().After(now.Add(Leeway)):
		return nil, refuse("the assertion was issued in the future")
	case c.Expiry.Time().Sub(c.IssuedAt.Time()) > MaxLifetime:
		return nil, refuse("the assertion's lifetime exceeds %s", MaxLifetime)
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(Leeway)):
		return nil, refuse("the assertion is not valid yet")
	case isSet(c.Cnf):
		return nil, refuse("the assertion carries cnf, which this server does not support for ID-JAGs")
	case isSet(c.AuthorizationDetails):
		return nil, refuse("the assertion carries authorization_details, which this server does not support")
	case c.ClientID == "":
		return nil, refuse("the assertion has no client_id")
	}
	// resource is optional (MCP enterprise-managed authorization §4.3);
	// when present it names one MCP server.
	resource, ok := c.Resource.(string)
	if c.Resource != nil && (!ok || resource == "") {
		return nil, refuse("the assertion's resource must be one resource identifier")
	}
	a := &Assertion{Issuer: idp, ID: c.ID, ClientID: c.ClientID, Resource: resource, Expiry: c.Expiry.Time()}
	if c.Scope != "" {
		a.Scopes = strings.Fields(c.Scope)
	}
	if err := idp.Claims.identity(all, a); err != nil {
		return nil, refuse("the assertion's %v", err)
	}
	if a.Subject == "" {
		return nil, refuse("the assertion has no %s claim to identify the user", idp.Claims.Subject)
	}
	return a, nil
}

// identity fills in who the assertion is about. A claim of the wrong type
// is refused rather than ignored, as at sign-in: groups feed access
// decisions.
func (m Claims) identity(all map[string]any, a *Assertion) error {
	var err error
	if a.Subject, err = stringClaim(all, m.Subject); err != nil {
		return err
	}
	if a.Email, err = stringClaim(all, m.Email); err != nil {
		return err
	}
	if a.Name, err = stringClaim(all, m.Name); err != nil {
		return err
	}
	if a.Groups, err = listClaim(all, m.Groups); err != nil || m.Roles == "" {
		return err
	}
	roles, err := listClaim(all, m.Roles)
	for _, r := range roles {
		if !slices.Contains(a.Groups, r) {
			a.Groups = append(a.Groups, r)
		}
	}
	return err
}

func isSet(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

func stringClaim(all map[string]any, name string) (string, error) {
	switch v := all[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	return "", fmt.Errorf("%s claim is not a string", name)
}

// listClaim reads groups sent as a list of strings or a single string.
func listClaim(all map[string]any, name string) ([]string, error) {
	switch v := all[name].(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%s claim is not a list of strings", name)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s claim is not a list of strings", name)
}

// keySet returns the IdP's keys, made once: by its jwks_uri, or the one its
// discovery document names (tried again no sooner than MinRefetch after a
// failure).
func (v *Verifier) keySet(ctx context.Context, idp *Issuer) (*remoteKeys, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if ks := v.keys[idp.Issuer]; ks != nil {
		return ks, nil
	}
	uri := idp.JWKSURI
	if uri == "" {
		if at, ok := v.failed[idp.Issuer]; ok && v.now().Sub(at) < MinRefetch {
			return nil, refuse("the identity provider's discovery document could not be loaded")
		}
		var err error
		if uri, err = v.discover(ctx, idp); err != nil {
			v.failed[idp.Issuer] = v.now()
			return nil, err
		}
		delete(v.failed, idp.Issuer)
	}
	ks := &remoteKeys{uri: uri, client: v.client, now: v.now}
	v.keys[idp.Issuer] = ks
	return ks, nil
}

// discover reads the jwks_uri from the IdP's OpenID discovery document.
func (v *Verifier) discover(ctx context.Context, idp *Issuer) (string, error) {
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, v.client), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, idp.Issuer)
	if err != nil {
		return "", refuse("the identity provider's discovery document could not be loaded")
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil || meta.JWKSURI == "" {
		return "", refuse("the identity provider's discovery document names no jwks_uri")
	}
	return meta.JWKSURI, nil
}
