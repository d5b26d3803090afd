package doctor

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// initialize is the first request of an MCP client (2025-06-18), sent
// without a token, as clients do before they know they need one.
const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",` +
	`"capabilities":{},"clientInfo":{"name":"drawbridge-doctor","version":"1"}}}`

// checkChallenge sends that first request and reads the answer: 401 with
// a Bearer challenge whose resource_metadata is an absolute URL (MCP
// authorization, RFC 9728 §5.1).
func (r *run) checkChallenge(ctx context.Context) {
	res := r.result("challenge")
	if res == nil {
		return
	}
	h := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json, text/event-stream"}}
	resp, err := r.c.do(ctx, http.MethodPost, r.mcp, h, []byte(initialize))
	if err != nil {
		res.problem("POST "+r.mcp+": "+err.Error(),
			"Check that the deployment is running and reachable from here: DNS, firewall, the load balancer's listener and its route to Drawbridge.")
		r.down = "the MCP endpoint cannot be reached"
		return
	}
	if resp.status != http.StatusUnauthorized {
		seen, fix := unexpectedStatus(resp)
		res.problem(seen, fix)
		return
	}
	vals := resp.header.Values("WWW-Authenticate")
	if len(vals) == 0 {
		res.problem("401 without a WWW-Authenticate header",
			"Clients find the authorization server through the challenge (RFC 9728 §5.1). A proxy that replaces error responses drops it: "+
				"let 401 answers through unchanged (nginx: no proxy_intercept_errors or error_page for 401).")
		return
	}
	bc, err := oauth.ParseBearerChallenge(vals)
	if err != nil {
		res.problem("401 with a WWW-Authenticate header clients cannot read: "+err.Error()+" in "+quote(strings.Join(vals, ", ")),
			"Send `Bearer resource_metadata=\"<url>\", scope=\"<scopes>\"` (RFC 6750 §3, RFC 9728 §5.1); a proxy may have rewritten it.")
		return
	}
	r.challenge = &bc
	switch rm := bc.ResourceMetadata; {
	case rm == "":
		res.problem("the Bearer challenge has no resource_metadata",
			"Claude requires an absolute resource_metadata URL in the 401 (RFC 9728 §5.1); other clients fall back to guessing the well-known URL.")
	case absoluteHTTPS(rm) != nil:
		res.problem(fmt.Sprintf("resource_metadata %s is %v", quote(rm), absoluteHTTPS(rm)),
			"Claude requires an absolute https URL in resource_metadata (RFC 9728 §5.1); Drawbridge builds it from public_url.")
	default:
		r.prmURL = rm
		if o := origin(rm); o != r.reached {
			r.advertised = o
		}
	}
	res.ok("401 with a Bearer challenge: resource_metadata %s, scope %s", quote(bc.ResourceMetadata), quote(oauth.FormatScope(bc.Scope)))
}

// unexpectedStatus explains an answer other than 401 to an unauthenticated
// MCP request.
func unexpectedStatus(resp *response) (seen, fix string) {
	s := resp.status
	seen = fmt.Sprintf("an MCP request without a token got %d, not 401", s)
	switch {
	case s >= 300 && s < 400:
		return seen + ", redirecting to " + quote(resp.header.Get("Location")),
			"Give clients the URL exactly as Drawbridge serves it (public_url and servers[].path, no trailing slash): clients do not repeat a POST after a redirect."
	case s >= 200 && s < 300:
		return seen + ": the endpoint is not protected",
			"Clients must reach the MCP server through Drawbridge: give them Drawbridge's URL, not the backend's."
	case s == http.StatusForbidden:
		return seen, "Drawbridge answers 403 to an address outside servers[].allowed_networks or to a foreign Origin; a firewall or WAF in front may also refuse the request."
	case s == http.StatusNotFound || s == http.StatusMethodNotAllowed:
		return seen + ": no MCP endpoint at this path", "Check the path: it is servers[].path under public_url (Drawbridge lists its endpoints at its root URL)."
	case s == http.StatusBadGateway || s == http.StatusGatewayTimeout:
		return seen + " from a proxy", "The load balancer cannot reach Drawbridge: check its upstream address and Drawbridge's logs."
	case s == http.StatusServiceUnavailable:
		return seen, "Drawbridge (or the proxy in front) is not ready: check /readyz and the logs."
	}
	return seen, "Check the load balancer and Drawbridge's logs for this request."
}
