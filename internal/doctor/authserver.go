package doctor

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// asDoc is one authorization server metadata document as fetched.
type asDoc struct {
	kind, url string
	meta      *oauth.AuthServerMetadata
	err       error
}

// discoveryURLs are where clients look for the metadata of issuer, in the
// order the MCP authorization specification gives: RFC 8414 §3.1 (path
// inserted), then OpenID Connect Discovery §4 (path appended).
func discoveryURLs(issuer string) [][2]string {
	u, _ := url.Parse(issuer)
	oidc := wellKnown(issuer, "openid-configuration")
	if u != nil && strings.Trim(u.EscapedPath(), "/") != "" {
		oidc = strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	}
	return [][2]string{{"RFC 8414 metadata", wellKnown(issuer, "oauth-authorization-server")}, {"OpenID Connect discovery", oidc}}
}

// checkAuthorizationServer fetches the first authorization server's
// metadata and checks what every MCP client needs of it.
func (r *run) checkAuthorizationServer(ctx context.Context) {
	res := r.result("authorization_server")
	if res == nil {
		return
	}
	if r.prm == nil || len(r.prm.AuthorizationServers) == 0 || absoluteHTTPS(r.prm.AuthorizationServers[0]) != nil {
		res.skip("no usable authorization server in the protected resource metadata")
		return
	}
	r.issuer = r.prm.AuthorizationServers[0]
	for _, d := range discoveryURLs(r.issuer) {
		doc := asDoc{kind: d[0], url: d[1], meta: new(oauth.AuthServerMetadata)}
		if _, doc.err = r.getDocument(ctx, r.rebase(doc.url), doc.meta); doc.err != nil {
			doc.meta = nil
		} else if r.as == nil {
			r.as = doc.meta
		}
		r.asDocs = append(r.asDocs, doc)
	}
	if r.as == nil {
		res.problem(fmt.Sprintf("no metadata for the authorization server %s: %s %v; %s %v", quote(r.issuer),
			r.asDocs[0].url, r.asDocs[0].err, r.asDocs[1].url, r.asDocs[1].err),
			"Clients find the authorization and token endpoints there (RFC 8414 §3, OpenID Connect Discovery): serve it at the issuer.")
		return
	}
	if r.asDocs[0].err != nil {
		res.warn(fmt.Sprintf("%s %s: %v", r.asDocs[0].kind, r.asDocs[0].url, r.asDocs[0].err),
			"Clients of the 2025-03-26 MCP revision look only there: serve RFC 8414 metadata too.")
	}
	checkEndpoints(res, r.as)
	res.ok("%s at %s", quote(r.issuer), strings.Join(fetched(r.asDocs), " and "))
}

func fetched(docs []asDoc) []string {
	var out []string
	for _, d := range docs {
		if d.err == nil {
			out = append(out, d.url)
		}
	}
	return out
}

// checkEndpoints checks the members every MCP client relies on.
func checkEndpoints(res *result, m *oauth.AuthServerMetadata) {
	for _, e := range []struct{ name, url string }{{"authorization_endpoint", m.AuthorizationEndpoint}, {"token_endpoint", m.TokenEndpoint}} {
		if err := absoluteHTTPS(e.url); err != nil {
			res.problem(fmt.Sprintf("%s %s is %v", e.name, quote(e.url), err), "Clients need an absolute https "+e.name+" (RFC 8414 §2).")
		}
	}
	if !slices.Contains(m.ResponseTypesSupported, "code") {
		res.problem("response_types_supported does not list code", "MCP clients use the authorization code flow: list \"code\" (RFC 8414 §2).")
	}
	if !slices.Contains(m.CodeChallengeMethodsSupported, oauth.PKCEMethodS256) {
		res.problem("code_challenge_methods_supported does not list S256",
			"MCP clients refuse to go on when the metadata does not show PKCE S256 support (MCP authorization, PKCE): list it, and support it.")
	}
	if len(m.GrantTypesSupported) > 0 && !slices.Contains(m.GrantTypesSupported, "authorization_code") {
		res.problem("grant_types_supported does not list authorization_code", "List authorization_code (and refresh_token): MCP clients use them.")
	}
}

// checkIssuer compares the issuer named by the resource metadata with the
// issuer of each discovery document: they must be identical, byte for
// byte (RFC 8414 §3.3, OpenID Connect Discovery §4.3).
func (r *run) checkIssuer() {
	res := r.result("issuer")
	if res == nil {
		return
	}
	if r.as == nil {
		res.skip("no authorization server metadata")
		return
	}
	for _, d := range r.asDocs {
		if d.meta == nil || d.meta.Issuer == r.issuer {
			continue
		}
		fix := "Clients refuse metadata whose issuer differs from the URL they derived it from (RFC 8414 §3.3): make them identical."
		if strings.TrimSuffix(d.meta.Issuer, "/") == strings.TrimSuffix(r.issuer, "/") {
			fix += " They differ only by a trailing slash."
		}
		res.problem(fmt.Sprintf("%s says issuer %s; the protected resource metadata names %s", d.kind, quote(d.meta.Issuer), quote(r.issuer)), fix)
	}
	res.ok("%s in the protected resource metadata and %d discovery document(s)", quote(r.issuer), len(fetched(r.asDocs)))
}
