package authserver

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/identity"
	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
)

// upstreamStub is an identity provider that sends the browser to a fixed
// address and fails every code exchange with err.
type upstreamStub struct{ err error }

func (upstreamStub) Name() string { return "entra" }
func (upstreamStub) AuthCodeURL(_ context.Context, state, _, _ string) (string, error) {
	return "https://login.example/authorize?state=" + url.QueryEscape(state), nil
}
func (u upstreamStub) Exchange(context.Context, string, string, string) (*identity.Result, error) {
	return nil, u.err
}

// TestAuditRecordsUpstreamErrors: what the identity provider said reaches
// the audit trail in its own words (Entra's AADSTS codes, which package
// timeline translates), in the attempt that the authorization started;
// nothing the exchange sent does.
func TestAuditRecordsUpstreamErrors(t *testing.T) {
	secretErr := &oauthclient.TokenError{Provider: "entra", StatusCode: 401, Code: "invalid_client",
		Description: "AADSTS7000215: Invalid client secret provided."}
	tests := []struct {
		name     string
		callback url.Values
		reason   string
		detail   string
	}{
		{"the provider sent an error back", url.Values{"error": {"invalid_request"},
			"error_description": {"AADSTS901002: The 'resource' request parameter is not supported.\r\nTrace ID: 1"}},
			"upstream_refused", "invalid_request: AADSTS901002: The 'resource' request parameter is not supported.  Trace ID: 1"},
		{"the code exchange failed", url.Values{"code": {"upstream-code-value"}},
			"upstream_error", "invalid_client: AADSTS7000215: Invalid client secret provided."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(o *Options) { o.Password, o.Redirect = nil, upstreamStub{err: secretErr} })
			b := &browser{}
			rec := h.get(b, PathAuthorize+"?"+authorizeQuery().Encode())
			loc := location(rec)
			if rec.Code != http.StatusFound || loc == nil {
				t.Fatalf("authorize: %d, want a redirect upstream", rec.Code)
			}
			n := h.events.len()
			started := h.events.since(n - 1)[0]
			tt.callback.Set("state", loc.Query().Get("state"))
			h.get(b, PathCallback+"?"+tt.callback.Encode())
			es := h.events.since(n)
			if len(es) != 1 || es[0].Type != audit.SignInFailed {
				t.Fatalf("events = %v, want one %s", types(es), audit.SignInFailed)
			}
			e := es[0]
			if e.Reason != tt.reason || e.Detail != tt.detail || e.Attempt != started.Attempt || started.Type != audit.AuthorizeStarted {
				t.Errorf("event = %+v, want reason %q detail %q in attempt %q", e, tt.reason, tt.detail, started.Attempt)
			}
			if strings.Contains(e.Detail, "upstream-code-value") || strings.Contains(e.Detail, loc.Query().Get("state")) {
				t.Error("the detail holds what was sent")
			}
		})
	}
}
