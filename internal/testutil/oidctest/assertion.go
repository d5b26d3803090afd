package oidctest

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

const (
	// assertionMaxLifetime is the longest a client assertion may be valid:
	// Entra ID asks for exp at most 5 to 10 minutes after nbf.
	assertionMaxLifetime = 10 * time.Minute
	// assertionSkew tolerates clocks a little apart, as the op library does.
	assertionSkew = time.Second
)

// assertionOP is the op library's provider with one change for client
// assertions (private_key_jwt). The library's verifier wants the issuer in
// an assertion's aud; Entra ID wants its token endpoint URL there, and OIDC
// Core, section 9 recommends the same, so that is what this provider
// demands. Every other route and check is the library's own: CreateRouter is
// given this value, so the token endpoint asks it for the verifier.
type assertionOP struct {
	*op.Provider
	p *Provider
}

// JWTProfileVerifier checks aud against the token endpoint URL (the
// verifier's "issuer" is only compared with aud), exp, iat (at most
// assertionMaxLifetime old) and iss = sub, then hands the signature to
// certKeySet.
func (o assertionOP) JWTProfileVerifier(context.Context) *op.JWTProfileVerifier {
	return op.NewJWTProfileVerifierKeySet(certKeySet{o.p}, o.p.base+o.p.paths.token, assertionMaxLifetime, assertionSkew)
}

// TokenEndpointSigningAlgorithmsSupported is advertised in discovery. Entra
// ID's discovery document lists none, so the Entra-like one does not either.
func (o assertionOP) TokenEndpointSigningAlgorithmsSupported() []string {
	if o.p.opts.Entra {
		return nil
	}
	return []string{string(jose.RS256), string(jose.PS256), string(jose.ES256)}
}

// certKeySet verifies a client assertion with the certificate registered
// for the client it names, and applies the checks the op library leaves
// out: the header's thumbprints, one exact aud, nbf, the lifetime and jti
// replay. Every failure is an *oidc.Error with invalid_client, which the
// library passes through (RFC 6749, section 5.2: client authentication
// failed).
type certKeySet struct{ p *Provider }

func (k certKeySet) VerifySignature(_ context.Context, jws *jose.JSONWebSignature) ([]byte, error) {
	p := k.p
	// The library has parsed the claims already but does not pass them on;
	// iss only picks the certificate, and nothing is trusted before the
	// signature is verified with it.
	var unverified struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &unverified); err != nil {
		return nil, p.refuseClient("", "the client assertion's payload is not a JSON object")
	}
	cert := p.store.clientCert(unverified.Issuer)
	if cert == nil {
		return nil, p.refuseClient("AADSTS700016", "no client with a certificate credential has this ID")
	}
	if err := p.checkAssertionHeader(jws.Signatures[0].Protected, cert); err != nil {
		return nil, err
	}
	payload, err := jws.Verify(cert.PublicKey)
	if err != nil {
		return nil, p.refuseClient("AADSTS700027", "Client assertion contains an invalid signature.")
	}
	var claims jwt.Claims
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, p.refuseClient("", "the client assertion's claims are malformed")
	}
	if err := p.checkAssertionClaims(&claims); err != nil {
		return nil, err
	}
	return payload, nil
}

// checkAssertionHeader requires the header's pointers to the certificate to
// point at the registered one. Entra ID finds the certificate by x5t or
// x5t#S256 and ignores kid; in generic mode kid, when present, must be the
// SHA-256 thumbprint (the convention of Drawbridge and of this provider).
func (p *Provider) checkAssertionHeader(h jose.Header, cert *x509.Certificate) error {
	x5t, _ := h.ExtraHeaders["x5t"].(string)
	x5tS256, _ := h.ExtraHeaders["x5t#S256"].(string)
	sha1Thumb, sha256Thumb := thumbprints(cert)
	const notRegistered = "The certificate with identifier used to sign the client assertion is not registered on application."
	switch {
	case p.opts.Entra && h.Algorithm != string(jose.RS256) && h.Algorithm != string(jose.PS256):
		return p.refuseClient("AADSTS700027", "unsupported client assertion algorithm "+h.Algorithm+"; Entra ID verifies RS256 and PS256")
	case p.opts.Entra && x5t == "" && x5tS256 == "":
		return p.refuseClient("AADSTS700027", "the client assertion's header names no certificate (x5t or x5t#S256)")
	case x5t != "" && x5t != sha1Thumb, x5tS256 != "" && x5tS256 != sha256Thumb:
		return p.refuseClient("AADSTS700027", notRegistered)
	case !p.opts.Entra && h.KeyID != "" && h.KeyID != sha256Thumb:
		return p.refuseClient("", "kid does not name the registered certificate")
	}
	return nil
}

// checkAssertionClaims runs on verified claims. The library has checked
// that aud contains the token endpoint URL, exp, iat and iss = sub.
func (p *Provider) checkAssertionClaims(c *jwt.Claims) error {
	now := time.Now()
	start := c.IssuedAt
	if c.NotBefore != nil {
		start = c.NotBefore
	}
	switch {
	case len(c.Audience) != 1:
		return p.refuseClient("", "the client assertion's aud must be the token endpoint URL alone")
	case c.Expiry == nil || start == nil:
		return p.refuseClient("AADSTS700024", "Client assertion is not within its valid time range: exp and iat or nbf are required.")
	case start.Time().After(now.Add(assertionSkew)):
		return p.refuseClient("AADSTS700024", "Client assertion is not within its valid time range: it is not valid yet.")
	case c.Expiry.Time().Sub(start.Time()) > assertionMaxLifetime:
		return p.refuseClient("AADSTS700024", "Client assertion is not within its valid time range: it is valid for more than 10 minutes.")
	case c.ID == "":
		return p.refuseClient("", "the client assertion has no jti")
	case !p.store.useJTI(c.Issuer, c.ID, c.Expiry.Time()):
		return p.refuseClient("", "the client assertion was used before (jti replayed)")
	}
	return nil
}

// checkAssertionClientID compares client_id with the assertion's iss before
// the library runs: it authenticates the assertion's client and would not
// notice a client_id naming another (RFC 7521, section 4.2 wants them equal).
func (p *Provider) checkAssertionClientID(params url.Values) *oidc.Error {
	raw, id := params.Get("client_assertion"), params.Get("client_id")
	if raw == "" || id == "" {
		return nil
	}
	var claims jwt.Claims
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256})
	if err != nil || tok.UnsafeClaimsWithoutVerification(&claims) != nil || claims.Issuer != id {
		return p.refuseClient("", "client_id does not match the client assertion's issuer, or the assertion is malformed")
	}
	return nil
}

// refuseClient is an invalid_client error. In Entra-like mode the
// description starts with Entra ID's error code where it has a known one.
func (p *Provider) refuseClient(aadsts, msg string) *oidc.Error {
	if p.opts.Entra && aadsts != "" {
		msg = aadsts + ": " + msg
	}
	return oidc.ErrInvalidClient().WithDescription("%s", msg)
}

// thumbprints are the base64url SHA-1 (x5t) and SHA-256 (x5t#S256)
// thumbprints of the DER certificate (RFC 7515, sections 4.1.7 and 4.1.8).
func thumbprints(cert *x509.Certificate) (sha1Thumb, sha256Thumb string) {
	s1 := sha1.Sum(cert.Raw)
	s256 := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(s1[:]), base64.RawURLEncoding.EncodeToString(s256[:])
}

// clientCert returns the certificate of a certificate client, else nil.
func (s *store) clientCert(id string) *x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; ok {
		return c.cert
	}
	return nil
}

// useJTI records an assertion ID until the assertion expires and reports
// whether it was new. IDs are kept per client: RFC 7519 makes jti unique per
// issuer.
func (s *store) useJTI(clientID, jti string, exp time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	for k, until := range s.jtis {
		if now.After(until) {
			delete(s.jtis, k)
		}
	}
	key := clientID + "\x00" + jti
	if _, seen := s.jtis[key]; seen {
		return false
	}
	s.jtis[key] = exp.Add(assertionSkew)
	return true
}
