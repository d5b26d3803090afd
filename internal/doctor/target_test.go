package doctor

import (
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

func TestParseTarget(t *testing.T) {
	for _, ok := range []string{"https://mcp.example.com/mcp", "http://127.0.0.1:8080/mcp", "https://mcp.example.com"} {
		if _, err := parseTarget(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "mcp.example.com/mcp", "ftp://x/mcp", "https:///mcp", "https://u:p@x/mcp", "https://x/mcp#f", "https://x/mcp#", "%"} {
		if _, err := parseTarget(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestURLHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"https://MCP.example.com:443/mcp": "https://mcp.example.com", "http://h:80/": "http://h", "https://h:8443/x": "https://h:8443",
		"http://[::1]:8080/mcp": "http://[::1]:8080", "/relative": "",
	} {
		if got := origin(in); got != want {
			t.Errorf("origin(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"https://h/mcp": "https://h/.well-known/x/mcp", "https://h/a/b/": "https://h/.well-known/x/a/b", "https://h": "https://h/.well-known/x",
	} {
		if got := wellKnown(in, "x"); got != want {
			t.Errorf("wellKnown(%q) = %q, want %q", in, got, want)
		}
	}
	r := &run{reached: "https://mcp.example.com", advertised: "https://10.0.0.11:8443"}
	for in, want := range map[string]string{
		"https://10.0.0.11:8443/.well-known/oauth-protected-resource/mcp": "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
		"https://login.example.com/tenant":                                "https://login.example.com/tenant",
	} {
		if got := r.rebase(in); got != want {
			t.Errorf("rebase(%q) = %q, want %q", in, got, want)
		}
	}
}

// The scope check's verdicts, as a table.
func TestScopes(t *testing.T) {
	for _, tt := range []struct {
		asked, listed []string
		status        Status
		seen          string
	}{
		{[]string{"snippets"}, []string{"snippets"}, OK, `challenge "snippets"`},
		{nil, nil, Warn, "neither the challenge nor scopes_supported"},
		{nil, []string{"a"}, Warn, "the challenge names no scope"},
		{[]string{"a", "b"}, []string{"a"}, Warn, `asks for "b", which scopes_supported does not list`},
		{[]string{"a"}, []string{"a", "admin"}, Warn, `scopes_supported also lists "admin"`},
	} {
		r := &run{results: map[string]*result{"scopes": {name: "scopes"}}, challenge: &oauth.BearerChallenge{Scope: tt.asked},
			prm: &oauth.ProtectedResourceMetadata{ScopesSupported: tt.listed}}
		r.checkScopes()
		c := r.results["scopes"].check()
		if c.Status != tt.status || !strings.Contains(c.Seen, tt.seen) {
			t.Errorf("%q / %q: %+v", tt.asked, tt.listed, c)
		}
		if tt.status == Warn && strings.Contains(tt.seen, "admin") && !strings.Contains(c.Fix, "VS Code") {
			t.Errorf("the fix does not name VS Code: %s", c.Fix)
		}
	}
}
