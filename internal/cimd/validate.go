package cimd

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// validate applies the rules of §4.1 (client_id, no shared secret), MCP's
// required members, and RFC 7591 §2 (defaults, grant and response types),
// filling in defaults as it goes.
func (d *Document) validate(clientID string, p oauth.RedirectPolicy) error {
	switch {
	case d.ClientID == "":
		return invalid(nil, "the client metadata document must contain client_id")
	case d.ClientID != clientID:
		// §4.1: simple string comparison (RFC 3986 §6.2.1), no normalisation.
		return invalid(nil, "the client_id in the client metadata document does not match the URL it was fetched from")
	case strings.TrimSpace(d.ClientName) == "":
		return invalid(nil, "the client metadata document must contain client_name")
	}
	checks := []func() error{
		func() error { return d.checkRedirectURIs(p) },
		d.checkAuthMethod,
		d.checkGrants,
		d.checkStrings,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (d *Document) checkRedirectURIs(p oauth.RedirectPolicy) error {
	if len(d.RedirectURIs) == 0 {
		return invalid(nil, "the client metadata document must contain at least one redirect_uri")
	}
	if len(d.RedirectURIs) > maxRedirectURIs {
		return invalid(nil, fmt.Sprintf("the client metadata document may list at most %d redirect_uris", maxRedirectURIs))
	}
	declared := d.ApplicationType
	switch declared {
	case "":
		d.ApplicationType = oauth.InferApplicationType(d.RedirectURIs)
	case oauth.AppTypeWeb, oauth.AppTypeNative:
	default:
		return invalid(nil, "application_type must be web or native")
	}
	d.OnlyLoopbackRedirects = true
	for i, u := range d.RedirectURIs {
		// A document that declares no application_type is checked URI by
		// URI: a client with a hosted web flavour and a desktop flavour
		// lists an https redirect and a loopback one, and neither is wrong
		// for the kind of program that will use it. A declared type applies
		// to every URI, as at the registration endpoint (web: no loopback).
		appType := declared
		if appType == "" {
			appType = oauth.InferApplicationType([]string{u})
		}
		if err := oauth.ValidateRedirectURI(u, appType, p); err != nil {
			return invalid(err, fmt.Sprintf("redirect_uris[%d] is not acceptable: redirect URIs must be absolute https URIs, or http on a loopback address for native applications, without fragment, user information or wildcards", i))
		}
		if !isLoopbackURI(u) {
			d.OnlyLoopbackRedirects = false
		}
	}
	return nil
}

func isLoopbackURI(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && oauth.IsLoopbackHost(u.Hostname())
}

func (d *Document) checkAuthMethod() error {
	switch d.TokenEndpointAuthMethod {
	case "":
		// RFC 7591 §2 defaults to client_secret_basic, which §4.1 forbids
		// here: a document without a method describes a public client.
		d.TokenEndpointAuthMethod = AuthMethodNone
	case AuthMethodNone, AuthMethodPrivateKeyJWT:
	case "client_secret_basic", "client_secret_post", "client_secret_jwt":
		return invalid(nil, "token_endpoint_auth_method must not use a shared secret: a client metadata document cannot establish one (use none or private_key_jwt)")
	default:
		return invalid(nil, "token_endpoint_auth_method must be none or private_key_jwt")
	}
	if d.JWKSURI != "" && d.JWKS != nil {
		return invalid(nil, "the client metadata document must not contain both jwks and jwks_uri")
	}
	if d.TokenEndpointAuthMethod == AuthMethodPrivateKeyJWT && d.JWKSURI == "" && d.JWKS == nil {
		return invalid(nil, "private_key_jwt needs the client's public keys in jwks or jwks_uri")
	}
	if d.JWKSURI != "" && !webURL(d.JWKSURI, true) {
		return invalid(nil, "jwks_uri must be an https URL")
	}
	if d.JWKS != nil {
		return checkJWKS(d.JWKS)
	}
	return nil
}

// privateJWKMembers hold private or symmetric key material (RFC 7518 §6).
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// checkJWKS requires a JWK Set of public keys: a document is public, so a
// private or symmetric ("oct") key in it is a leaked secret (§4.1).
func checkJWKS(raw json.RawMessage) error {
	var set map[string]json.RawMessage
	var keys []map[string]json.RawMessage
	if json.Unmarshal(raw, &set) != nil || json.Unmarshal(set["keys"], &keys) != nil || len(keys) == 0 {
		return invalid(nil, `jwks must be a JWK Set with a non-empty "keys" array`)
	}
	for _, k := range keys {
		var kty string
		if json.Unmarshal(k["kty"], &kty) != nil || kty == "" {
			return invalid(nil, "every key in jwks must have a kty")
		}
		if kty == "oct" {
			return invalid(nil, "jwks must not contain symmetric keys")
		}
		for _, m := range privateJWKMembers {
			if _, ok := k[m]; ok {
				return invalid(nil, "jwks must contain public keys only")
			}
		}
	}
	return nil
}

// checkGrants fills in the defaults of RFC 7591 §2 and requires grant_types
// and response_types to agree (§2.1). Only grants this server implements are
// accepted; client_credentials needs a way to authenticate (§6.2). A
// document is published for every authorization server, so listing a grant
// is not being allowed it: the authorization server never lets a document's
// client use client_credentials (authserver, client.allowsGrant).
func (d *Document) checkGrants() error {
	if len(d.GrantTypes) == 0 {
		d.GrantTypes = []string{grantAuthorizationCode}
	}
	for _, g := range d.GrantTypes {
		switch g {
		case grantAuthorizationCode, grantRefreshToken:
		case grantClientCredentials:
			if d.TokenEndpointAuthMethod != AuthMethodPrivateKeyJWT {
				return invalid(nil, "the client_credentials grant needs token_endpoint_auth_method private_key_jwt")
			}
		default:
			return invalid(nil, "grant_types may contain only authorization_code, refresh_token and client_credentials")
		}
	}
	code := slices.Contains(d.GrantTypes, grantAuthorizationCode)
	if !code && !slices.Contains(d.GrantTypes, grantClientCredentials) {
		return invalid(nil, "grant_types must include authorization_code or client_credentials")
	}
	if len(d.ResponseTypes) == 0 && code {
		d.ResponseTypes = []string{"code"}
	}
	for _, rt := range d.ResponseTypes {
		if rt != "code" {
			return invalid(nil, `response_types may contain only "code"`)
		}
	}
	if code != (len(d.ResponseTypes) > 0) {
		return invalid(nil, `response_types "code" and grant_types authorization_code must be used together`)
	}
	return nil
}

// checkStrings bounds free text (shown on pages) and requires the URL fields
// to be web URLs, since they may be linked from pages.
func (d *Document) checkStrings() error {
	for _, f := range []struct{ name, v string }{
		{"client_name", d.ClientName}, {"software_id", d.SoftwareID}, {"software_version", d.SoftwareVersion},
	} {
		if !displayText(f.v) {
			return invalid(nil, fmt.Sprintf("%s must be at most %d characters without control characters", f.name, maxTextLength))
		}
	}
	for _, f := range []struct{ name, v string }{
		{"client_uri", d.ClientURI}, {"logo_uri", d.LogoURI}, {"tos_uri", d.TOSURI}, {"policy_uri", d.PolicyURI},
	} {
		if f.v != "" && !webURL(f.v, false) {
			return invalid(nil, f.name+" must be an http or https URL")
		}
	}
	if len(d.Contacts) > maxContacts {
		return invalid(nil, fmt.Sprintf("the client metadata document may list at most %d contacts", maxContacts))
	}
	for _, c := range d.Contacts {
		if c == "" || !displayText(c) {
			return invalid(nil, "contacts must be non-empty strings without control characters")
		}
	}
	if _, err := oauth.ParseScope(d.Scope); err != nil {
		return invalid(err, "scope must be a space-separated list of scope tokens (RFC 6749 §3.3)")
	}
	return nil
}

// displayText: at most maxTextLength characters, none of them control
// characters or bidirectional overrides, which could make a name on the
// consent page read differently from what it is.
func displayText(s string) bool {
	if utf8.RuneCountInString(s) > maxTextLength {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u061c' || r == '\u200e' || r == '\u200f' ||
			r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' {
			return false
		}
	}
	return true
}

func webURL(s string, httpsOnly bool) bool {
	if len(s) > maxURLLength || strings.ContainsAny(s, " \t\r\n\\") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || u.Scheme == "http" && !httpsOnly
}
