package timeline

import (
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/identity/aadsts"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// explainAuthorize says why an authorization request was refused and what
// to change.
func explainAuthorize(e audit.Event, cx Context) (why, fix string) {
	switch {
	case e.Reason == oauth.ErrInvalidTarget && e.Resource == "":
		return "The client named no resource, and this server protects several MCP servers: " + resourceList(cx) + ".",
			"Configure the client with the MCP server's URL exactly (the client then sends it as resource)."
	case e.Reason == oauth.ErrInvalidTarget:
		why = "The client asked for the resource " + e.Resource + ", which this server does not protect. Its resources are: " + resourceList(cx) + "."
		fix = "Configure the client with one of these URLs exactly: same scheme, host and path (a trailing slash is tolerated)."
		return why, fix
	case e.Reason == "redirect_uri_mismatch":
		return sentence(e.Detail) + " For your users' safety the browser was not sent back to it.",
			"A client that registered dynamically has to register again (remove and add the connector; for mcp-remote delete ~/.mcp-auth); a metadata-document client must list the URI in its document; a pre-registered client needs it in clients[].redirect_uris. Only loopback addresses (127.0.0.1, [::1]) may use any port."
	case e.Reason == "redirect_host_refused":
		return "The client's registered redirect address has a host this server no longer accepts.", "The client has to register again."
	case e.Reason == "unknown_client":
		return "The client_id is not known: never registered here, its dynamic registration expired unused (registration.client_ttl) or an administrator deleted or disabled it.",
			"Remove and add the connector in the client so that it registers again (for mcp-remote, delete ~/.mcp-auth first)."
	case e.Reason == "client_blocked":
		return "An administrator blocked this client.", "Unblock it on the Clients page if that was a mistake."
	case e.Reason == "client_metadata_fetch_failed":
		return "The client's metadata document at " + e.ClientID + " could not be fetched: " + e.Detail,
			"The document must be reachable from this server over https, answer 200 with application/json and no redirect, within the size and time limits. Check egress (proxy, firewall, DNS) from the Drawbridge host."
	case e.Reason == "client_metadata_forbidden_host":
		return "This server refuses to fetch " + e.ClientID + ": " + e.Detail,
			"The host is outside registration.metadata_documents.allow_domains, inside deny_domains, or resolves to an address that is not public."
	case strings.HasPrefix(e.Reason, "client_metadata_"):
		return "The client's metadata document at " + e.ClientID + " cannot be used: " + e.Detail,
			"The document's client_id must equal its URL exactly, and its redirect_uris and other fields must be valid client metadata (RFC 7591). This is for the client's publisher to fix."
	case e.Reason == oauth.ErrInvalidRequest && strings.Contains(e.Detail, "code_challenge"):
		return "The client did not use PKCE as required: " + e.Detail + ".",
			"The client must send a code_challenge with code_challenge_method=S256 (OAuth 2.1; plain is refused). An older client needs updating."
	case e.Reason == oauth.ErrTemporarilyUnavailable:
		return "The identity provider could not be reached when the user was to be sent to sign in.",
			"Check the provider's issuer URL and the network path from Drawbridge to it; the server log has the cause."
	case e.Reason == oauth.ErrUnauthorizedClient:
		return "The client is not registered for the authorization code grant.", "The client must register the authorization_code grant type."
	}
	return sentence("The request was refused: " + orText(e.Detail, reasonText(e.Reason))), ""
}

// explainSignIn says why a sign-in failed, translating what an upstream
// identity provider said.
func explainSignIn(e audit.Event) (why, fix string) {
	switch e.Reason {
	case "bad_credentials":
		return "The username or password was wrong.", "The user tries again; repeated failures lock the account out for a while."
	case "locked_out":
		return "Too many failed sign-ins from this network or browser: the user is locked out for now.", "Wait for the lockout to end, then try again."
	}
	why = "The identity provider refused the sign-in"
	if e.Reason == "upstream_error" {
		why = "Redeeming the identity provider's code failed"
	}
	if e.Detail != "" {
		why += ": " + e.Detail
	}
	if x, ok := aadsts.Find(e.Detail); ok {
		return sentence(why) + " " + x.Code + " means: " + x.Meaning, x.Fix
	} else if x.Code != "" {
		return sentence(why), x.Fix
	}
	if strings.HasPrefix(e.Detail, oauth.ErrAccessDenied) {
		return sentence(why), "The user cancelled, or the identity provider does not allow this user to use the application."
	}
	return sentence(why), "Check the identity provider's configuration (client_id, secret, redirect URI <public_url>/callback); the server log has the details."
}

// explainToken says why a token request failed.
func explainToken(e audit.Event) (why, fix string) {
	d := e.Detail
	switch {
	case strings.Contains(d, "code_verifier does not match"):
		return "PKCE failed: the code_verifier the client sent does not match the code_challenge of its authorization request.",
			"A client bug, or a client that ran two sign-ins at once and redeemed one's code with the other's verifier. Retry once; if it persists, report it to the client's vendor."
	case strings.Contains(d, "redirect_uri does not match"):
		return "The token request's redirect_uri differs from the one in the authorization request.",
			"The client must send exactly the same redirect_uri, same port included, in both requests."
	case strings.Contains(d, "issued to another client"):
		return "The code was redeemed by a different client_id from the one it was issued to.",
			"The client probably registered again between sign-in and token request; retry the connection."
	case strings.Contains(d, "code is invalid or expired"):
		return "The authorization code is unknown, expired or already used.",
			"Retry the connection. If it keeps happening, the client redeems codes too late (code_ttl) or something on the way retries the token request."
	case e.Reason == oauth.ErrInvalidTarget:
		return sentence("The token request named another resource than the authorization request: " + d),
			"The client must send the same resource in both requests."
	case e.Reason == oauth.ErrInvalidClient:
		return sentence("Client authentication failed: " + d),
			"A confidential client must send its registered secret by its registered method; a public client must send none; a private_key_jwt client must sign with a key it publishes (jwks or jwks_uri)."
	case strings.HasPrefix(d, "code_verifier is required"):
		return "The client did not send a code_verifier (PKCE).", "The client must use PKCE; an older client needs updating."
	}
	return sentence("The token request was refused: " + orText(d, reasonText(e.Reason))), ""
}

// explainMCP says why the first MCP request failed.
func explainMCP(e audit.Event, cx Context) (why, fix string) {
	switch {
	case e.Reason == "invalid_token" && strings.Contains(e.Detail, "for another resource"):
		why = "The client called the server " + e.Server + " with a token issued for " + orText(e.Resource, "another resource") + "."
		fix = "The client must ask for a token for the URL it calls (the resource of that URL's protected resource metadata). Enter the MCP server's URL in the client exactly as configured: " + resourceList(cx) + "."
		return why, fix
	case e.Reason == "invalid_token" && strings.Contains(e.Detail, "expired"):
		return "The access token had expired.", "The client should refresh it; if it did not, check the clock of the client's machine and that it registered the refresh_token grant."
	case e.Reason == "invalid_token" && strings.Contains(e.Detail, "revoked"):
		return "The grant behind the token was revoked.", "The user connects again."
	case e.Reason == "insufficient_scope":
		return "The token lacks a scope the server requires.",
			"The client must ask for the scopes the 401/403 challenge names. Some clients send no scope at all and get the resource's default scopes: make those enough, or configure the client's scopes."
	case e.Reason == "no_token":
		return "The request had no access token.", "The client has to follow the 401 challenge and sign in."
	case e.Reason == "policy":
		return "A policy rule does not let this user use the server.", "Check the server's policy (who may connect)."
	case e.Reason == "origin":
		return "The request came from a web page of a foreign Origin.", "Add the client's origin to the server's allowed origins if it is a legitimate browser-based client."
	case e.Decision == audit.DecisionDeny:
		return sentence("The gateway refused the request: " + orText(e.Detail, reasonText(e.Reason))), ""
	}
	return "The MCP server answered with an error (HTTP status in the step).", "Check the MCP server's health on the Servers page and its own logs."
}

func resourceList(cx Context) string {
	if len(cx.Resources) == 0 {
		return "(none configured)"
	}
	return strings.Join(cx.Resources, ", ")
}

func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
