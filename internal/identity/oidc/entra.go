package oidc

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
)

// EntraOptions configures sign-in at Microsoft Entra ID (v2 endpoints) for
// one tenant. See the package documentation for the choices it makes.
type EntraOptions struct {
	// Name is the provider's name in the configuration.
	Name string
	// TenantID is the directory (tenant) ID, a GUID.
	TenantID string
	// ClientID is the application (client) ID of Drawbridge's app
	// registration; ClientSecret one of its client secrets.
	ClientID     string
	ClientSecret string
	// ClientCertificate, instead of ClientSecret, is a certificate uploaded
	// to the app registration ("Certificates & secrets", "Certificates"),
	// with its private key. Exactly one of the two is required: Entra ID
	// authenticates every web app at its token endpoint. The key must be
	// RSA.
	ClientCertificate *oauthclient.Certificate
	// Cloud is the Entra instance; default config.DefaultEntraCloud, the
	// global Azure cloud (national clouds: https://login.microsoftonline.us,
	// ...).
	Cloud string
	// RedirectURL is Drawbridge's callback, registered as a "Web" redirect URI.
	RedirectURL string
	// Scopes default to config.DefaultEntraScopes, "openid profile email
	// offline_access". Add a
	// resource's scopes (api://.../.default) here, never a resource parameter.
	Scopes []string
	// Claims default to Subject "oid", Email "email", Name "name", Groups
	// "groups", Roles "roles".
	Claims ClaimMapping
	// ExtraAuthParams as in Options; "resource" is refused.
	ExtraAuthParams map[string]string
	// HTTPClient as in Options.
	HTTPClient *http.Client
}

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// entraHosts are the Entra ID login hosts of the public and national clouds.
// An issuer on one of them gets the Entra guard even when configured through
// New.
var entraHosts = []string{
	"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn",
	"login.partner.microsoftonline.cn", "login.windows.net", "sts.windows.net",
}

// NewEntra returns a provider for one Entra ID tenant. Like New, it does not
// contact Entra ID.
func NewEntra(o EntraOptions) (*Provider, error) {
	var errs []error
	if !guid.MatchString(o.TenantID) {
		errs = append(errs, entraTenantError(o.TenantID))
	}
	if o.Cloud == "" {
		o.Cloud = config.DefaultEntraCloud
	}
	cloud := strings.TrimSuffix(o.Cloud, "/")
	if err := oauthclient.CheckURL(cloud, true); err != nil {
		errs = append(errs, fmt.Errorf("cloud: %w", err))
		cloud = config.DefaultEntraCloud // reported once, as cloud, not again as issuer
	} else if u, _ := url.Parse(cloud); u.Path != "" {
		errs = append(errs, errors.New("cloud: must be a scheme and host only, like "+config.DefaultEntraCloud))
		cloud = config.DefaultEntraCloud
	}
	if o.ClientSecret == "" && o.ClientCertificate == nil {
		errs = append(errs, errors.New("client_secret or client_certificate is required (Entra ID authenticates web apps at its token endpoint)"))
	}
	if len(o.Scopes) == 0 {
		o.Scopes = config.DefaultEntraScopes()
	}
	opts := Options{
		Name: o.Name,
		// Entra writes the tenant ID in lower case in iss; the comparison is exact.
		Issuer:            cloud + "/" + strings.ToLower(o.TenantID) + "/v2.0",
		ClientID:          o.ClientID,
		ClientSecret:      o.ClientSecret,
		ClientCertificate: o.ClientCertificate,
		RedirectURL:       o.RedirectURL,
		Scopes:            o.Scopes,
		Claims:            o.Claims.withDefaults(ClaimMapping{Subject: "oid", Email: "email", Name: "name", Groups: "groups", Roles: "roles"}),
		ExtraAuthParams:   o.ExtraAuthParams,
		HTTPClient:        o.HTTPClient,
	}
	p, err := newProvider(opts, true)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("oidc: entra provider %q: %w", o.Name, err)
	}
	return p, nil
}

func entraTenantError(tenant string) error {
	switch strings.ToLower(tenant) {
	case "":
		return errors.New("tenant_id is empty")
	case "common", "organizations", "consumers":
		return fmt.Errorf("tenant_id %q would admit users of other tenants; use your tenant's ID (a GUID)", tenant)
	default:
		return fmt.Errorf("tenant_id %q is not a GUID; use the directory (tenant) ID, not a domain name, because the tenant's issuer is built from it", tenant)
	}
}

// isEntraIssuer reports whether issuer is on an Entra ID login host.
func isEntraIssuer(issuer string) bool {
	u, err := url.Parse(issuer)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range entraHosts {
		if host == h {
			return true
		}
	}
	return strings.HasSuffix(host, ".ciamlogin.com") // Entra External ID
}
