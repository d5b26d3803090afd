package config

import (
	"fmt"
	"slices"
)

// GrantJWTBearer is RFC 7523's JWT bearer grant, with which clients redeem
// an enterprise IdP's identity assertion grants (ID-JAG).
const GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

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
