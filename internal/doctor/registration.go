package doctor

import (
	"context"
	"fmt"
	"net/http"
	"slices"
)

// checkRegistration checks that a client unknown to the server can get a
// client id: by a client ID metadata document (its URL is the client id;
// the authorization endpoint is where the server first sees it) or by
// dynamic registration (RFC 7591). Nothing is registered: the doctor sends
// an empty registration, which a working endpoint refuses with an OAuth
// error.
func (r *run) checkRegistration(ctx context.Context) {
	res := r.result("registration")
	if res == nil {
		return
	}
	m := r.as
	if m == nil {
		res.skip("no authorization server metadata")
		return
	}
	if !m.ClientIDMetadataDocumentSupported && m.RegistrationEndpoint == "" {
		res.problem("neither client ID metadata documents nor dynamic registration is offered",
			"Only pre-registered clients can connect. Claude, ChatGPT and VS Code get their client ids themselves: enable "+
				"registration.metadata_documents or registration.dynamic.")
		return
	}
	if m.ClientIDMetadataDocumentSupported {
		r.checkAuthorizationEndpoint(ctx, res)
		if !slices.Contains(m.TokenEndpointAuthMethodsSupported, "private_key_jwt") {
			res.warn("client ID metadata documents are supported, but token_endpoint_auth_methods_supported lacks private_key_jwt",
				"ChatGPT prefers a metadata document with private_key_jwt; without it, it falls back to a public client or to registration.")
		}
	}
	if m.RegistrationEndpoint != "" {
		r.checkRegistrationEndpoint(ctx, res, m.RegistrationEndpoint)
	}
}

// checkAuthorizationEndpoint asks the authorization endpoint for nothing:
// it should answer with its own error (a page, or a redirect to sign in),
// which shows it is reachable at the advertised URL.
func (r *run) checkAuthorizationEndpoint(ctx context.Context, res *result) {
	at := r.rebase(r.as.AuthorizationEndpoint)
	if absoluteHTTPS(at) != nil {
		return // reported by the authorization_server check
	}
	resp, err := r.c.get(ctx, at, nil)
	switch {
	case err != nil:
		res.problem("authorization endpoint "+at+": "+err.Error(),
			"Clients with a client ID metadata document start at the authorization endpoint: make it reachable at the advertised URL.")
	case resp.status == http.StatusNotFound || resp.status >= 500:
		res.problem(fmt.Sprintf("authorization endpoint %s answered %d", at, resp.status),
			"Clients with a client ID metadata document start at the authorization endpoint: make it reachable at the advertised URL.")
	default:
		res.ok("client ID metadata documents supported; the authorization endpoint answers")
	}
}

// checkRegistrationEndpoint sends an empty registration: a working
// endpoint answers 400 with an OAuth error (RFC 7591 §3.2.2).
func (r *run) checkRegistrationEndpoint(ctx context.Context, res *result, endpoint string) {
	at := r.rebase(endpoint)
	if err := absoluteHTTPS(at); err != nil {
		res.problem(fmt.Sprintf("registration_endpoint %s is %v", quote(endpoint), err), "Advertise an absolute https registration_endpoint.")
		return
	}
	fix := "Clients that register dynamically (Claude, VS Code, mcp-remote; ChatGPT without a metadata document) cannot get a client id: " +
		"make the registration endpoint reachable at the advertised URL."
	// Sent as from a browser page, so that the cors check can read this
	// answer rather than spend another of the registrations an address
	// is allowed per hour.
	h := http.Header{"Content-Type": {"application/json"}, "Origin": {probeOrigin}}
	resp, err := r.c.do(ctx, http.MethodPost, at, h, []byte("{}"))
	if err != nil {
		res.problem("registration endpoint "+at+": "+err.Error(), fix)
		return
	}
	r.registered = resp
	var oerr struct {
		Error string `json:"error"`
	}
	switch s := resp.status; {
	case s == http.StatusBadRequest && jsonObject(resp, &oerr) == nil && oerr.Error != "":
		res.ok("dynamic registration answers (an empty registration is refused with %s)", quote(oerr.Error))
	case s == http.StatusTooManyRequests:
		res.warn("registration endpoint "+at+" answered 429: rate limited", "Registration is limited per address; try again later.")
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		res.problem(fmt.Sprintf("registration endpoint %s answered %d: it wants credentials", at, s),
			"Clients register without an initial access token (MCP authorization): open the endpoint, or turn it off and rely on "+
				"client ID metadata documents.")
	case s >= 200 && s < 300:
		res.warn(fmt.Sprintf("registration endpoint %s accepted an empty registration (%d)", at, s),
			"A registration without redirect URIs should be refused (RFC 7591 §2, OAuth 2.1 redirect URI registration).")
	default:
		res.problem(fmt.Sprintf("registration endpoint %s answered %d, not an OAuth error", at, s), fix)
	}
}
