package doctor

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// probeOrigin is the browser origin the doctor pretends to be for the
// endpoints any origin must be able to use. It is in a reserved top-level
// domain (RFC 2606), so it can be nobody's real client.
const probeOrigin = "https://drawbridge-doctor.invalid"

// corsTarget is one cross-origin request a browser-based client makes.
type corsTarget struct {
	what, url, method string
	// headers are the request headers that are not CORS-safelisted, which
	// a preflight must allow; contentType and body make a POST.
	headers     []string
	contentType string
	body        []byte
	// answered, when set, is the answer to that request, already had.
	answered *response
}

// checkCORS sends the preflights (and, for documents, the requests) of a
// browser-based client, such as the MCP Inspector or a client in a web
// page: metadata, token and registration endpoints must answer any origin
// (MCP authorization; RS7). The MCP endpoint itself answers only the
// origins it allows, so it is checked for --origin alone.
func (r *run) checkCORS(ctx context.Context) {
	res := r.result("cors")
	if res == nil {
		return
	}
	var targets []corsTarget
	if r.prm != nil {
		at := r.prmURL
		if at == "" {
			at = wellKnown(r.mcp, "oauth-protected-resource")
		}
		targets = append(targets, corsTarget{what: "the protected resource metadata", url: r.rebase(at), method: http.MethodGet,
			headers: []string{"mcp-protocol-version"}})
	}
	if d := r.fetchedAS(); d != nil {
		targets = append(targets, corsTarget{what: "the authorization server metadata", url: r.rebase(d.url), method: http.MethodGet,
			headers: []string{"mcp-protocol-version"}})
		// A token request is a simple request (form-encoded, no other
		// header): browsers send no preflight, only the request.
		if absoluteHTTPS(r.as.TokenEndpoint) == nil {
			targets = append(targets, corsTarget{what: "the token endpoint", url: r.rebase(r.as.TokenEndpoint), method: http.MethodPost,
				contentType: "application/x-www-form-urlencoded", body: []byte("grant_type=")})
		}
		if absoluteHTTPS(r.as.RegistrationEndpoint) == nil {
			targets = append(targets, corsTarget{what: "the registration endpoint", url: r.rebase(r.as.RegistrationEndpoint), method: http.MethodPost,
				headers: []string{"content-type"}, answered: r.registered})
		}
	}
	if len(targets) == 0 {
		res.skip("no metadata to check")
		return
	}
	var fine []string
	for _, t := range targets {
		if _, ok := r.crossOrigin(ctx, res, t, probeOrigin, "Browser-based clients (the MCP Inspector, clients in a web page) cannot use "+t.what+
			": let OPTIONS requests and the Access-Control-* headers through your proxy; Drawbridge answers them itself."); ok {
			fine = append(fine, t.what)
		}
	}
	if len(fine) > 0 {
		res.ok("%s answer any origin", strings.Join(fine, ", "))
	}
	r.checkMCPOrigin(ctx, res)
}

// fetchedAS is the first authorization server document that was read.
func (r *run) fetchedAS() *asDoc {
	for i := range r.asDocs {
		if r.asDocs[i].meta != nil {
			return &r.asDocs[i]
		}
	}
	return nil
}

// crossOrigin makes the request a page from origin would make, with its
// preflight when the browser would send one, and reports whether the
// browser would let the page read the answer (Fetch standard, CORS
// protocol).
func (r *run) crossOrigin(ctx context.Context, res *result, t corsTarget, from, fix string) (*response, bool) {
	if len(t.headers) > 0 {
		h := http.Header{"Origin": {from}, "Access-Control-Request-Method": {t.method},
			"Access-Control-Request-Headers": {strings.Join(t.headers, ",")}}
		resp, err := r.c.do(ctx, http.MethodOptions, t.url, h, nil)
		if err != nil {
			res.problem("preflight for "+t.what+": "+err.Error(), fix)
			return nil, false
		}
		if why := refusedPreflight(resp, from, t); why != "" {
			res.problem(fmt.Sprintf("the preflight for %s (%s) %s", t.what, t.url, why), fix)
			return nil, false
		}
	}
	resp := t.answered
	if resp == nil {
		h := http.Header{"Origin": {from}}
		for _, name := range t.headers {
			if name == "mcp-protocol-version" {
				h.Set(name, "2025-06-18")
			}
		}
		if t.contentType != "" {
			h.Set("Content-Type", t.contentType)
		}
		var err error
		if resp, err = r.c.do(ctx, t.method, t.url, h, t.body); err != nil {
			res.problem(t.method+" "+t.what+" from a browser origin: "+err.Error(), fix)
			return nil, false
		}
	}
	if !allowsOrigin(resp, from) {
		res.problem(fmt.Sprintf("the %d answer of %s (%s) has no Access-Control-Allow-Origin for %s", resp.status, t.what, t.url, from), fix)
		return nil, false
	}
	return resp, true
}

// refusedPreflight says why a browser would refuse the preflight answer,
// or "" when it would not.
func refusedPreflight(resp *response, from string, t corsTarget) string {
	if resp.status < 200 || resp.status > 299 {
		return fmt.Sprintf("answered %d", resp.status)
	}
	if !allowsOrigin(resp, from) {
		return "has no Access-Control-Allow-Origin for " + from
	}
	if !listed(resp.header.Values("Access-Control-Allow-Methods"), t.method) && t.method != http.MethodGet && t.method != http.MethodPost {
		return "does not allow " + t.method
	}
	for _, name := range t.headers {
		if !listed(resp.header.Values("Access-Control-Allow-Headers"), name) {
			return "does not allow the header " + name
		}
	}
	return ""
}

func allowsOrigin(resp *response, from string) bool {
	v := resp.header.Values("Access-Control-Allow-Origin")
	return len(v) == 1 && (v[0] == "*" || v[0] == from)
}

// listed reports whether a comma-separated header list names name
// (case-insensitively) or is "*", which does not cover Authorization
// (Fetch standard, CORS-non-wildcard request-header name).
func listed(values []string, name string) bool {
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if strings.EqualFold(item, name) || item == "*" && !strings.EqualFold(name, "authorization") {
				return true
			}
		}
	}
	return false
}

// checkMCPOrigin checks, for --origin, that a page from that origin can
// call the MCP endpoint and read its challenge.
func (r *run) checkMCPOrigin(ctx context.Context, res *result) {
	from := r.opt.Origin
	if from == "" {
		res.ok("the MCP endpoint itself answers only the origins it allows (give --origin to check one)")
		return
	}
	fix := "A client in a page from " + from + " cannot use the MCP endpoint: add the origin to servers[].allowed_origins " +
		"(Drawbridge refuses other origins, against DNS rebinding and cross-site pages)."
	t := corsTarget{what: "the MCP endpoint", url: r.mcp, method: http.MethodPost,
		headers: []string{"authorization", "content-type", "mcp-protocol-version"}, contentType: "application/json", body: []byte(initialize)}
	resp, ok := r.crossOrigin(ctx, res, t, from, fix)
	switch {
	case !ok:
	case !listed(resp.header.Values("Access-Control-Expose-Headers"), "WWW-Authenticate"):
		res.problem("the MCP endpoint does not expose WWW-Authenticate to "+from,
			"The page cannot read the challenge and so cannot find the authorization server: expose WWW-Authenticate (and Mcp-Session-Id) "+
				"in Access-Control-Expose-Headers.")
	default:
		res.ok("the MCP endpoint answers %s and exposes its challenge", from)
	}
}
