package config

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// GrantJWTBearer is RFC 7523's JWT bearer grant, with which clients redeem
// an enterprise IdP's identity assertion grants (ID-JAG).
const GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// GrantTokenExchange is RFC 8693's token exchange, with which clients get
// an identity assertion grant from Drawbridge (enterprise.issue).
const GrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"

// MaxIssueLifetime bounds enterprise.issue[].lifetime: an ID-JAG is a
// short-lived grant, and Drawbridge itself refuses longer ones
// (idjag.MaxLifetime).
const MaxIssueLifetime = 10 * time.Minute

// enterprise checks the trusted enterprise IdPs: each one an https issuer
// once, the clients it lists configured for the jwt-bearer grant, and the
// servers and scopes it may grant real ones.
func (v *validator) enterprise(c *Config) {
	seen := map[string]bool{}
	for i, idp := range c.Enterprise.IdPs {
		field := fmt.Sprintf("enterprise.idps[%d]", i)
		v.idpURL(field+".issuer", idp.Issuer)
		if seen[idp.Issuer] {
			v.add("%s.issuer: %q is listed twice", field, idp.Issuer)
		}
		seen[idp.Issuer] = true
		if idp.JWKSURI != "" {
			v.idpURL(field+".jwks_uri", idp.JWKSURI)
		}
		v.enterpriseClients(field, idp.Clients, c.Clients)
		scopes := v.enterpriseServers(field, idp.Servers, c.Backends)
		for j, sc := range idp.Scopes {
			if !slices.Contains(scopes, sc) {
				v.add("%s.scopes[%d]: %q is not a scope of the servers listed", field, j, sc)
			}
		}
		v.required(field+".claims.subject", idp.Claims.Subject)
		if idp.Issuer == c.Issuer() {
			v.add("%s.issuer: Drawbridge's own issuer: an authorization server does not redeem the grants it issued", field)
		}
	}
	v.issue(c)
}

// issue checks the authorization servers Drawbridge issues ID-JAGs for:
// each another server's https issuer once, with resources, scopes, clients
// that authenticate and may use token exchange, and a short lifetime.
func (v *validator) issue(c *Config) {
	if len(c.Enterprise.Issue) > 0 && c.Identity.Type == IdentityNone {
		v.add("enterprise.issue: grants are issued for users who sign in, and identity is not configured")
	}
	seen := map[string]bool{}
	for i, a := range c.Enterprise.Issue {
		field := fmt.Sprintf("enterprise.issue[%d]", i)
		v.idpURL(field+".audience", a.Audience)
		switch {
		case a.Audience == c.Issuer():
			v.add("%s.audience: Drawbridge's own issuer: an IdP must not issue grants to itself (draft-ietf-oauth-identity-assertion-authz-grant, cross-domain use)", field)
		case seen[a.Audience]:
			v.add("%s.audience: %q is listed twice", field, a.Audience)
		}
		seen[a.Audience] = true
		if len(a.Resources) == 0 {
			v.add("%s.resources: at least one resource is required", field)
		}
		for j, r := range a.Resources {
			if canon, err := oauth.CanonicalResource(r); err != nil || canon != r {
				v.add("%s.resources[%d]: %q is not a resource identifier in canonical form (an absolute http(s) URI, no fragment, no trailing slash)", field, j, r)
			}
		}
		for j, sc := range a.Scopes {
			if got, err := oauth.ParseScope(sc); err != nil || len(got) != 1 || got[0] != sc {
				v.add("%s.scopes[%d]: %q is not one scope token (RFC 6749 §3.3)", field, j, sc)
			}
		}
		v.issueClients(field, a.Clients, c.Clients)
		v.between(field+".lifetime", a.Lifetime, time.Second, MaxIssueLifetime)
	}
}

// issueClients checks the clients that may ask for grants for one
// audience, in a stable order.
func (v *validator) issueClients(field string, ids map[string]string, clients []Client) {
	if len(ids) == 0 {
		v.add("%s.clients: at least one client is required", field)
	}
	keys := make([]string, 0, len(ids))
	for id := range ids {
		keys = append(keys, id)
	}
	sort.Strings(keys)
	for _, id := range keys {
		i := slices.IndexFunc(clients, func(c Client) bool { return c.ID == id })
		switch {
		case i < 0:
			v.add("%s.clients: %q is not a configured client", field, id)
		case !contains(clients[i].GrantTypes, GrantTokenExchange):
			v.add("%s.clients: client %q must list %s in grant_types", field, id, GrantTokenExchange)
		case ids[id] == "":
			v.add("%s.clients: client %q needs its client id at the audience", field, id)
		}
	}
}

func (v *validator) enterpriseClients(field string, ids []string, clients []Client) {
	if len(ids) == 0 {
		v.add("%s.clients: at least one client is required", field)
	}
	for j, id := range ids {
		i := slices.IndexFunc(clients, func(c Client) bool { return c.ID == id })
		switch {
		case i < 0:
			v.add("%s.clients[%d]: %q is not a configured client", field, j, id)
		case !contains(clients[i].GrantTypes, GrantJWTBearer):
			v.add("%s.clients[%d]: client %q must list %s in grant_types", field, j, id, GrantJWTBearer)
		}
	}
}

// enterpriseServers checks the server names and returns their scopes.
func (v *validator) enterpriseServers(field string, names []string, servers []Backend) []string {
	if len(names) == 0 {
		v.add("%s.servers: at least one server is required", field)
	}
	var scopes []string
	for j, name := range names {
		i := slices.IndexFunc(servers, func(b Backend) bool { return b.Name == name })
		if i < 0 {
			v.add("%s.servers[%d]: %q is not a configured server", field, j, name)
			continue
		}
		scopes = append(scopes, servers[i].Scopes...)
	}
	return scopes
}
