package doctor

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// statusError is a metadata URL that did not answer 200.
type statusError struct {
	status   int
	location string
}

func (e *statusError) Error() string {
	if e.location != "" {
		return fmt.Sprintf("answered %d, redirecting to %s", e.status, quote(e.location))
	}
	return fmt.Sprintf("answered %d", e.status)
}

// getDocument fetches a metadata document and reads it strictly into v.
// Clients fetch metadata where it is advertised, so a redirect is an
// error too.
func (r *run) getDocument(ctx context.Context, url string, v any) (*response, error) {
	resp, err := r.c.get(ctx, url, http.Header{"Accept": {"application/json"}})
	if err != nil {
		return nil, err
	}
	if resp.status != http.StatusOK {
		return resp, &statusError{status: resp.status, location: resp.header.Get("Location")}
	}
	if err := jsonObject(resp, v); err != nil {
		return resp, err
	}
	return resp, nil
}

// fetchPRM fetches protected resource metadata (RFC 9728 §3).
func (r *run) fetchPRM(ctx context.Context, url string) (*oauth.ProtectedResourceMetadata, error) {
	var prm oauth.ProtectedResourceMetadata
	if _, err := r.getDocument(ctx, url, &prm); err != nil {
		return nil, err
	}
	return &prm, nil
}

// checkResourceMetadata reads the protected resource metadata where the
// challenge points, or, without one, at the path-inserted well-known URL
// as clients then do.
func (r *run) checkResourceMetadata(ctx context.Context) {
	res := r.result("resource_metadata")
	if res == nil {
		return
	}
	at, from := r.prmURL, "resource_metadata"
	if at == "" {
		at, from = wellKnown(r.mcp, "oauth-protected-resource"), "the well-known URL"
	}
	prm := new(oauth.ProtectedResourceMetadata)
	resp, err := r.getDocument(ctx, r.rebase(at), prm)
	if err != nil {
		res.problem(fmt.Sprintf("%s %s: %v", from, at, err),
			"Serve the protected resource metadata as JSON at that URL (RFC 9728 §3); without it clients cannot find the authorization server.")
		return
	}
	r.prm = prm
	if r.advertised == "" && origin(prm.Resource) != "" && origin(prm.Resource) != r.reached {
		r.advertised = origin(prm.Resource)
	}
	if !isJSON(resp) {
		res.warn("served as "+quote(resp.header.Get("Content-Type")), "Serve it as application/json; strict clients refuse anything else.")
	}
	r.checkResource(res, prm.Resource)
	if len(prm.AuthorizationServers) == 0 {
		res.problem("authorization_servers is missing or empty",
			"List the authorization server's issuer in authorization_servers (RFC 9728 §2): clients get tokens from it.")
	}
	for _, as := range prm.AuthorizationServers {
		if err := absoluteHTTPS(as); err != nil {
			res.problem(fmt.Sprintf("authorization server %s is %v", quote(as), err), "Each authorization server must be an absolute https URL.")
		}
	}
	res.ok("%s: resource %s, authorization servers %s", at, quote(prm.Resource), quote(strings.Join(prm.AuthorizationServers, " ")))
}

// checkResource compares the document's resource with the MCP URL: it
// must be the URL clients connect to, exactly (RFC 9728 §3.3), and
// clients compare it byte for byte.
func (r *run) checkResource(res *result, resource string) {
	got := r.rebase(resource)
	if got == r.mcp {
		return
	}
	a, errA := oauth.CanonicalResource(got)
	b, errB := oauth.CanonicalResource(r.mcp)
	if errA == nil && errB == nil && a == b {
		res.warn(fmt.Sprintf("resource is %s, and you gave %s", quote(resource), quote(r.mcp)),
			"Configure clients with exactly "+quote(got)+": some compare the two byte for byte and refuse a trailing slash, "+
				"case or default-port difference. (Claude may add a trailing slash to resource when it asks for a token; Drawbridge accepts it.)")
		return
	}
	res.problem(fmt.Sprintf("resource is %s, not the MCP URL %s", quote(resource), quote(r.mcp)),
		"The metadata must name the URL clients connect to (RFC 9728 §3.3); clients refuse any other. Drawbridge builds it from public_url "+
			"and servers[].path: check both, and that clients use that URL.")
}

// checkPublicURL compares the origin the server advertises (in
// resource_metadata and resource) with the one the doctor reached it at:
// behind a load balancer, a public_url left at an internal address breaks
// every client.
func (r *run) checkPublicURL() {
	res := r.result("public_url")
	if res == nil {
		return
	}
	if r.challenge == nil && r.prm == nil {
		res.skip("nothing advertised was read")
		return
	}
	if r.advertised == "" {
		res.ok("the advertised URLs are on %s, where the doctor reached the server", r.reached)
		return
	}
	fix := fmt.Sprintf("Set public_url: %s, the URL clients use, as they reach it through your load balancer. Clients follow the "+
		"advertised URLs and tokens are bound to them, so nothing works with a wrong public_url.", r.reached)
	if strings.TrimPrefix(r.advertised, "http://") == strings.TrimPrefix(r.reached, "https://") {
		fix += " (The load balancer terminates TLS: public_url must still be https.)"
	}
	res.problem(fmt.Sprintf("the server advertises its URLs on %s, but the doctor reached it at %s (the checks below went on at %s)",
		r.advertised, r.reached, r.reached), fix)
}

// checkWellKnown fetches the metadata at both well-known locations, for
// clients that do not use the challenge's resource_metadata: the
// path-inserted URL (RFC 9728 §3.1) and the root.
func (r *run) checkWellKnown(ctx context.Context) {
	res := r.result("well_known")
	if res == nil {
		return
	}
	if r.prm == nil {
		res.skip("no protected resource metadata")
		return
	}
	severity := res.warn
	if r.prmURL == "" {
		severity = res.problem
	}
	inserted := wellKnown(r.mcp, "oauth-protected-resource")
	root := r.reached + "/.well-known/oauth-protected-resource"
	for _, loc := range []struct{ name, url, fix string }{
		{"path-inserted", inserted, "Clients that ignore the challenge's resource_metadata look here first (RFC 9728 §3.1): serve the metadata there."},
		{"root", root, "Clients that look only at the root (some older ones) cannot connect. Drawbridge serves the root document only " +
			"when it has a single MCP server; with several, give those clients another route or a server of their own."},
	} {
		if loc.name == "root" && root == inserted {
			continue
		}
		prm, err := r.fetchPRM(ctx, loc.url)
		switch {
		case err != nil:
			severity(fmt.Sprintf("%s %s: %v", loc.name, loc.url, err), loc.fix)
		case r.rebase(prm.Resource) != r.rebase(r.prm.Resource):
			severity(fmt.Sprintf("%s %s is for %s", loc.name, loc.url, quote(prm.Resource)),
				"A client that looks there gets another resource's metadata and refuses it (RFC 9728 §3.3). "+loc.fix)
		default:
			res.ok("%s %s", loc.name, loc.url)
		}
	}
}

// checkScopes compares the scopes the challenge asks for with those the
// metadata advertises: clients choose from one or the other.
func (r *run) checkScopes() {
	res := r.result("scopes")
	if res == nil {
		return
	}
	if r.challenge == nil || r.prm == nil {
		res.skip("needs the challenge and the protected resource metadata")
		return
	}
	asked, listed := r.challenge.Scope, r.prm.ScopesSupported
	if len(asked) == 0 && len(listed) == 0 {
		res.warn("neither the challenge nor scopes_supported names a scope",
			"Clients then request no scope (some CLIs never send one) or guess. Drawbridge grants a server's scopes when none is asked "+
				"for, other servers may not: list the scopes (servers[].scopes).")
		return
	}
	if len(asked) == 0 {
		res.warn("the challenge names no scope, scopes_supported lists "+quote(oauth.FormatScope(listed)),
			"Clients choose the scopes to request from the challenge first (MCP authorization, scope selection); without it some "+
				"request none. Drawbridge names the server's scopes in the challenge: set servers[].scopes.")
	}
	if missing := oauth.ScopeMissing(asked, listed); len(missing) > 0 && len(listed) > 0 {
		res.warn("the challenge asks for "+quote(oauth.FormatScope(missing))+", which scopes_supported does not list",
			"Clients that read scopes_supported (VS Code) and those that read the challenge then ask for different scopes: list every scope "+
				"the endpoint needs in both.")
	}
	if extra := oauth.ScopeMissing(listed, asked); len(extra) > 0 && len(asked) > 0 {
		res.warn("scopes_supported also lists "+quote(oauth.FormatScope(extra))+", which the endpoint does not ask for",
			"VS Code asks for every advertised scope, so its users are asked to grant those too: advertise what a client needs to "+
				"connect, and let 403 insufficient_scope ask for more when a call needs it.")
	}
	res.ok("challenge %s, scopes_supported %s", quote(oauth.FormatScope(asked)), quote(oauth.FormatScope(listed)))
}
