package timeline

import (
	"fmt"
	"sort"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
)

// attempt turns a group into the steps an administrator reads.
func (g *groupOf) attempt(cx Context) Attempt {
	a := Attempt{Start: g.events[0].Time, End: g.last().Time, GrantID: g.grant}
	for _, e := range g.events {
		if e.Subject != "" {
			a.Subject = e.Subject
		}
		a.Steps = append(a.Steps, steps(e, cx)...)
	}
	sort.SliceStable(a.Steps, func(i, j int) bool {
		if !a.Steps[i].Time.Equal(a.Steps[j].Time) {
			return a.Steps[i].Time.Before(a.Steps[j].Time)
		}
		return stepOrder[a.Steps[i].Name] < stepOrder[a.Steps[j].Name]
	})
	if g.mcp > 1 {
		a.MoreMCP = g.mcp - 1
	}
	a.Outcome = Incomplete
	for _, s := range a.Steps {
		if !s.OK {
			a.Outcome, a.Failed, a.Why, a.Fix = Failed, s.Name, s.Why, s.Fix
			return a
		}
	}
	if last := a.Steps[len(a.Steps)-1]; last.Name == StepMCP {
		a.Outcome = Succeeded
		return a
	}
	a.Why, a.Fix = stopped(a.Steps[len(a.Steps)-1])
	return a
}

// steps are the steps one event stands for: most stand for one; an
// authorization of a metadata-document client also shows the document
// fetched (or not).
func steps(e audit.Event, cx Context) []Step {
	s := Step{Time: e.Time, OK: true}
	switch e.Type {
	case audit.ClientRegistered:
		s.Name, s.Label = StepRegistration, "Registered (dynamic client registration)"
	case audit.AuthorizeStarted:
		s.Name, s.Label = StepAuthorize, "Authorization request accepted"
		s.Detail = joinDetail("resource "+e.Resource, scopeText(e.Scope))
		if isMetadataClient(e.ClientID) {
			return []Step{fetched(e), s}
		}
	case audit.AuthorizeRefused:
		s.OK, s.Detail = false, joinDetail(reasonText(e.Reason), requested(e))
		s.Why, s.Fix = explainAuthorize(e, cx)
		if strings.HasPrefix(e.Reason, "client_metadata_") {
			s.Name, s.Label = StepMetadata, "Client metadata document could not be used"
			return []Step{s}
		}
		s.Name, s.Label = StepAuthorize, "Authorization request refused"
		// Refusals after the client lookup mean its document was fetched.
		if isMetadataClient(e.ClientID) && e.Reason != "client_blocked" && e.Reason != "duplicate_parameter" {
			return []Step{fetched(e), s}
		}
	case audit.SignInSucceeded:
		s.Name, s.Label, s.Detail = StepSignIn, "Signed in", e.Subject
	case audit.SignInFailed:
		s.Name, s.Label, s.OK, s.Detail = StepSignIn, "Sign-in failed", false, reasonText(e.Reason)
		s.Why, s.Fix = explainSignIn(e)
	case audit.ConsentGiven:
		s.Name, s.Label, s.Detail = StepConsent, "Consent given", scopeText(e.Scope)
	case audit.ConsentDenied:
		s.Name, s.Label, s.OK = StepConsent, "Consent denied", false
		s.Why = "The user chose Deny on the consent page."
		s.Fix = "Nothing is misconfigured: the user has to approve the application to connect it."
	case audit.AuthorizeCompleted:
		s.Name, s.Label = StepConsent, "Code sent back to the client"
		s.Detail = map[string]string{"consent_remembered": "consent remembered from an earlier approval",
			"consent_not_required": "no consent needed (pre-registered client)", "consent_given": "after consent"}[e.Rule]
	case audit.TokenIssued:
		s.Name, s.Label, s.Detail = StepToken, "Tokens issued", joinDetail("for "+e.Resource, scopeText(e.Scope))
	case audit.TokenFailed:
		s.Name, s.Label, s.OK, s.Detail = StepToken, "Token request refused", false, joinDetail(e.Reason, e.Detail)
		s.Why, s.Fix = explainToken(e)
	case audit.MCPRequest:
		s.Name, s.Label = StepMCP, "First MCP request"
		s.Detail = joinDetail(mcpText(e), fmt.Sprintf("HTTP %d", e.Status))
		if e.Decision == audit.DecisionDeny || e.Status >= 400 {
			s.Label, s.OK = "First MCP request failed", false
			s.Why, s.Fix = explainMCP(e, cx)
		}
	default:
		return nil
	}
	return []Step{s}
}

// stopped explains an attempt that ended without a failure, by its last
// step: where a client or a person stopped.
func stopped(last Step) (why, fix string) {
	switch last.Name {
	case StepRegistration:
		return "The client registered but has not sent an authorization request yet.",
			"If the user never saw a sign-in page, the client may not have opened the browser; ask the user to retry from the client."
	case StepMetadata, StepAuthorize:
		return "The user was sent to sign in and has not finished.",
			"The user may have closed the sign-in page; sign-in requests expire after login_ttl."
	case StepSignIn:
		return "The user signed in; the consent page has not been answered.", "The user has to answer the consent page."
	case StepConsent:
		return "A code went back to the client, which has not redeemed it.",
			"The client may not have received the redirect: check that its redirect URI is reachable from the user's browser (a loopback port the client no longer listens on, a browser that blocks the redirect)."
	case StepToken:
		return "The client has tokens but has not called an MCP server with them yet.",
			"If the client says it is connected but nothing works, check that it calls the MCP server's URL exactly as configured."
	}
	return "", ""
}

func joinDetail(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" && p != "resource " && p != "for " {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

func scopeText(scope string) string {
	if scope == "" {
		return "no scope"
	}
	return "scope " + scope
}

func requested(e audit.Event) string {
	if e.Resource == "" {
		return ""
	}
	return "asked for resource " + e.Resource
}

func reasonText(r string) string { return strings.ReplaceAll(r, "_", " ") }

func mcpText(e audit.Event) string {
	m := e.Method
	if e.Name != "" {
		m += " " + e.Name
	}
	if e.Server != "" {
		m += " on " + e.Server
	}
	return m
}

// fetched is the step of a metadata document that was fetched and used.
func fetched(e audit.Event) Step {
	return Step{Name: StepMetadata, Label: "Client metadata document fetched", Time: e.Time, OK: true, Detail: e.ClientID}
}
