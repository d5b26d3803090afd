package oidc

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
)

// Options configures a generic OpenID Connect provider. Each field's comment
// is also its configuration documentation.
type Options struct {
	// Name is the provider's name in the configuration, recorded in
	// Identity.Provider.
	Name string
	// Issuer is the provider's issuer URL, exactly as its discovery document
	// and ID tokens state it. https is required except on loopback hosts.
	Issuer string
	// ClientID and ClientSecret are Drawbridge's registration at the
	// provider. The secret may be empty for a public client registration;
	// PKCE protects the code either way.
	ClientID     string
	ClientSecret string
	// ClientCertificate, instead of ClientSecret, authenticates Drawbridge
	// at the token endpoint with a signed JWT (private_key_jwt). Setting
	// both is an error: which one the provider checks would be a guess.
	ClientCertificate *oauthclient.Certificate
	// RedirectURL is Drawbridge's callback URL, registered at the provider.
	RedirectURL string
	// Scopes requested; default config.DefaultOIDCScopes, "openid email
	// profile". "openid" is added
	// when missing (OIDC Core, section 3.1.2.1 requires it).
	Scopes []string
	// Claims maps ID token claims to the identity.
	Claims ClaimMapping
	// ExtraAuthParams are added to the authorization request, e.g.
	// prompt=select_account or domain_hint. Parameters this package sets
	// itself (state, nonce, PKCE, client_id, ...) are refused, and so is
	// "resource" toward Entra ID.
	ExtraAuthParams map[string]string
	// HTTPClient is used for every request to the provider; default a client
	// with a 30 second timeout. Tests pass one that trusts their provider.
	HTTPClient *http.Client
}

// ClaimMapping names the ID token claims an identity is read from.
type ClaimMapping struct {
	// Subject is the stable user identifier; default "sub" ("oid" for
	// Entra ID). An ID token without it is refused (ErrMissingSubject).
	Subject string
	// Email and Name default to "email" and "name".
	Email string
	Name  string
	// Groups defaults to "groups". The claim may be an array of strings or a
	// single string.
	Groups string
	// Roles, if set, names a claim whose values are added to the groups;
	// default none ("roles" for Entra ID).
	Roles string
}

// reservedParams are set by AuthCodeURL; letting configuration override them
// would break PKCE, the nonce check or the state binding.
var reservedParams = []string{
	"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method",
}

func (o *Options) setDefaults() {
	if len(o.Scopes) == 0 {
		o.Scopes = config.DefaultOIDCScopes()
	}
	if !slices.Contains(o.Scopes, "openid") {
		o.Scopes = append([]string{"openid"}, o.Scopes...)
	}
	o.Scopes = slices.Clone(o.Scopes)
	d := config.DefaultClaims()
	o.Claims = o.Claims.withDefaults(ClaimMapping{Subject: d.Subject, Email: d.Email, Name: d.Name, Groups: d.Groups, Roles: d.Roles})
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
}

func (m ClaimMapping) withDefaults(d ClaimMapping) ClaimMapping {
	for _, f := range []struct {
		v   *string
		def string
	}{
		{&m.Subject, d.Subject}, {&m.Email, d.Email}, {&m.Name, d.Name}, {&m.Groups, d.Groups}, {&m.Roles, d.Roles},
	} {
		if *f.v == "" {
			*f.v = f.def
		}
	}
	return m
}

// validate reports every problem at once. entra is set for Entra ID, where
// "resource" must never be sent.
func (o *Options) validate(entra bool) error {
	var errs []error
	if o.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if err := oauthclient.CheckURL(o.Issuer, true); err != nil {
		errs = append(errs, fmt.Errorf("issuer: %w", err))
	}
	if o.ClientID == "" {
		errs = append(errs, errors.New("client_id is empty"))
	}
	if c := o.ClientCertificate; c != nil {
		if o.ClientSecret != "" {
			errs = append(errs, errors.New("client_secret and client_certificate are both set; use one"))
		}
		if err := c.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("client_certificate: %w", err))
		} else if _, rsaKey := c.Key.(*rsa.PrivateKey); entra && !rsaKey {
			// Entra ID verifies certificate credentials with RSA only
			// (PS256 or RS256); an ECDSA certificate fails at every sign-in.
			errs = append(errs, errors.New("client_certificate: Entra ID accepts RSA certificates only"))
		}
	}
	if err := oauthclient.CheckURL(o.RedirectURL, false); err != nil {
		errs = append(errs, fmt.Errorf("redirect_url: %w", err))
	}
	for k := range o.ExtraAuthParams {
		switch {
		case slices.Contains(reservedParams, k):
			errs = append(errs, fmt.Errorf("extra_auth_params: %q is set by Drawbridge and cannot be overridden", k))
		case k == "resource" && entra:
			errs = append(errs, errors.New("extra_auth_params: Entra ID v2 refuses the resource parameter (AADSTS901002); request the resource's scopes instead"))
		}
	}
	return errors.Join(errs...)
}
