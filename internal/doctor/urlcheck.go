package doctor

import (
	"context"
	"fmt"
	"net/url"
)

// checkURL looks at the address itself: what clients elsewhere can reach.
func (r *run) checkURL(u *url.URL) {
	res := r.result("url")
	port := u.Port()
	switch {
	case u.Scheme == "http" && !loopback(u.String()):
		res.problem("plain http on "+u.Host,
			"Serve it over https: clients refuse an authorization server on plain http anywhere but on loopback (OAuth 2.1 §1.5). "+
				"Put a TLS-terminating load balancer in front (or set tls.cert_file and tls.key_file) and set public_url to the https URL.")
	case u.Scheme == "http":
		res.ok("http on loopback: fine for clients on this machine; clients elsewhere (Claude, ChatGPT) cannot reach it")
	case port != "" && port != "443" && !loopback(u.String()):
		res.warn("https on port "+port,
			"Claude's connectors reach only port 443: serve the public URL on 443 (a load balancer can listen there and forward to any port).")
	default:
		res.ok("%s on %s", u.Scheme, u.Host)
	}
	if u.RawQuery != "" {
		res.warn("the URL has a query",
			"A resource URL should not have one (RFC 8707 §2) and some clients drop it: give each MCP server its own path instead.")
	}
}

// discover finds the MCP endpoint of a bare origin from the root
// protected resource metadata, which Drawbridge serves when it has a
// single MCP server (RFC 9728 §3.1 with an empty path).
func (r *run) discover(ctx context.Context) {
	if r.down != "" {
		return
	}
	res := r.results["url"]
	at := r.reached + "/.well-known/oauth-protected-resource"
	prm, err := r.fetchPRM(ctx, at)
	if err == nil {
		err = absoluteHTTPS(prm.Resource)
	}
	if err != nil {
		res.problem(fmt.Sprintf("a bare origin, and no usable protected resource metadata at %s: %v", at, err),
			"Give the doctor the MCP endpoint's URL, such as "+r.reached+"/mcp: Drawbridge serves the root document only when it has a single "+
				"MCP server (it lists its endpoints at "+r.reached+"/).")
		if r.down == "" {
			r.down = "no MCP endpoint to check"
		}
		return
	}
	if o := origin(prm.Resource); o != r.reached {
		r.advertised = o
	}
	r.mcp = r.rebase(prm.Resource)
	res.ok("a bare origin: its protected resource metadata names the MCP endpoint %s", quote(prm.Resource))
}
