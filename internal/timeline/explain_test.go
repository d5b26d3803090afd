package timeline

import (
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
)

// TestExplanations: the failed step of each kind of failure is explained
// in plain words with what to change.
func TestExplanations(t *testing.T) {
	tests := []struct {
		name     string
		e        audit.Event
		step     string
		why, fix string
	}{
		{"unknown resource names this server's resources",
			audit.Event{Type: audit.AuthorizeRefused, Reason: "invalid_target", Resource: "https://mcp.example/nope", Detail: "the resource is not served by this authorization server"},
			StepAuthorize, "asked for the resource https://mcp.example/nope, which this server does not protect. Its resources are: " + res + ", " + res2, "one of these URLs exactly"},
		{"no resource with several servers",
			audit.Event{Type: audit.AuthorizeRefused, Reason: "invalid_target", Detail: "the resource parameter is required: ..."},
			StepAuthorize, "named no resource, and this server protects several MCP servers: " + res, "server's URL exactly"},
		{"redirect URI mismatch",
			audit.Event{Type: audit.AuthorizeRefused, Reason: "redirect_uri_mismatch", Detail: `the redirect_uri "http://127.0.0.1:3334/cb" is not one the client registered`},
			StepAuthorize, `the redirect_uri "http://127.0.0.1:3334/cb" is not one the client registered. For your users' safety`, "register again"},
		{"unknown client", audit.Event{Type: audit.AuthorizeRefused, Reason: "unknown_client"},
			StepAuthorize, "client_id is not known", "~/.mcp-auth"},
		{"plain PKCE", audit.Event{Type: audit.AuthorizeRefused, Reason: "invalid_request", Detail: "code_challenge_method must be S256"},
			StepAuthorize, "did not use PKCE", "code_challenge_method=S256"},
		{"metadata document unreachable",
			audit.Event{Type: audit.AuthorizeRefused, ClientID: "https://app.example/c.json", Reason: "client_metadata_fetch_failed", Detail: "the document could not be retrieved"},
			StepMetadata, "at https://app.example/c.json could not be fetched: the document could not be retrieved", "egress"},
		{"wrong password", audit.Event{Type: audit.SignInFailed, Reason: "bad_credentials"},
			StepSignIn, "username or password was wrong", "tries again"},
		{"Entra refuses the resource parameter",
			audit.Event{Type: audit.SignInFailed, Reason: "upstream_refused", Detail: "invalid_request: AADSTS901002: The 'resource' request parameter is not supported."},
			StepSignIn, "AADSTS901002 means: The request had a resource parameter", "Remove resource from extra_auth_params"},
		{"Entra: wrong client secret at the code exchange",
			audit.Event{Type: audit.SignInFailed, Reason: "upstream_error", Detail: "invalid_client: AADSTS7000215: Invalid client secret provided."},
			StepSignIn, "Redeeming the identity provider's code failed: invalid_client: AADSTS7000215", "not its Secret ID"},
		{"an AADSTS code the table does not know",
			audit.Event{Type: audit.SignInFailed, Reason: "upstream_refused", Detail: "invalid_request: AADSTS99999999: new"},
			StepSignIn, "refused the sign-in: invalid_request: AADSTS99999999: new.", "error?code=99999999"},
		{"another provider's refusal", audit.Event{Type: audit.SignInFailed, Reason: "upstream_refused", Detail: "access_denied: user cancelled"},
			StepSignIn, "refused the sign-in: access_denied: user cancelled.", "The user cancelled"},
		{"consent denied", audit.Event{Type: audit.ConsentDenied}, StepConsent, "chose Deny", "has to approve"},
		{"PKCE verifier mismatch", audit.Event{Type: audit.TokenFailed, Reason: "invalid_grant", Detail: "the code_verifier does not match the code_challenge"},
			StepToken, "PKCE failed", "Retry once"},
		{"redirect_uri differs at the token endpoint", audit.Event{Type: audit.TokenFailed, Reason: "invalid_grant", Detail: "redirect_uri does not match the authorization request"},
			StepToken, "redirect_uri differs", "same port included"},
		{"client authentication", audit.Event{Type: audit.TokenFailed, Reason: "invalid_client", Detail: "client authentication failed"},
			StepToken, "Client authentication failed: client authentication failed.", "registered secret"},
		{"first MCP call with a token for another resource",
			audit.Event{Type: audit.MCPRequest, Server: "snippets", Status: 401, Decision: audit.DecisionDeny, Reason: "invalid_token",
				Detail: "the access token is for another resource", Resource: res2},
			StepMCP, "called the server snippets with a token issued for " + res2, "exactly as configured"},
		{"first MCP call lacking a scope", audit.Event{Type: audit.MCPRequest, Status: 403, Decision: audit.DecisionDeny, Reason: "insufficient_scope"},
			StepMCP, "lacks a scope", "send no scope"},
		{"the backend failed", audit.Event{Type: audit.MCPRequest, Status: 502, Decision: audit.DecisionAllow},
			StepMCP, "MCP server answered with an error", "Servers page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := []audit.Event{at(0, tt.e)}
			if tt.e.Type == audit.MCPRequest { // a first call joins the grant's attempt
				events[0].GrantID = "g"
				events = append(events, at(-1, audit.Event{Type: audit.TokenIssued, GrantID: "g"}))
			}
			tl := Build(Client{ID: cid}, events, cx, 0)
			if len(tl.Attempts) != 1 {
				t.Fatalf("%d attempts", len(tl.Attempts))
			}
			a := tl.Attempts[0]
			if a.Outcome != Failed || a.Failed != tt.step {
				t.Fatalf("outcome %s at %q, want failed at %q", a.Outcome, a.Failed, tt.step)
			}
			if !strings.Contains(a.Why, tt.why) || !strings.Contains(a.Fix, tt.fix) {
				t.Errorf("why = %q\nfix = %q\nwant %q and %q", a.Why, a.Fix, tt.why, tt.fix)
			}
		})
	}
}

// TestIncompleteSaysWhereItStopped: an attempt that did not fail says
// where it stopped.
func TestIncompleteSaysWhereItStopped(t *testing.T) {
	tests := []struct {
		events []audit.Event
		why    string
	}{
		{[]audit.Event{at(0, audit.Event{Type: audit.AuthorizeStarted, Attempt: "a"})}, "has not finished"},
		{[]audit.Event{at(0, audit.Event{Type: audit.AuthorizeCompleted, Attempt: "a", GrantID: "g"})}, "has not redeemed it"},
		{[]audit.Event{at(0, audit.Event{Type: audit.AuthorizeCompleted, Attempt: "a", GrantID: "g"}), at(1, audit.Event{Type: audit.TokenIssued, GrantID: "g"})},
			"has not called an MCP server"},
	}
	for _, tt := range tests {
		a := Build(Client{ID: cid}, tt.events, cx, 0).Attempts[0]
		if a.Outcome != Incomplete || !strings.Contains(a.Why, tt.why) || a.Fix == "" {
			t.Errorf("attempt = %s %q %q, want incomplete, %q", a.Outcome, a.Why, a.Fix, tt.why)
		}
	}
}
