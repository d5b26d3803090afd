package oauth

import (
	"net/url"
	"strings"
	"testing"
)

func TestCanonicalResource(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"https://mcp.example.com/mcp", "https://mcp.example.com/mcp", false},
		{"HTTPS://MCP.Example.COM/mcp", "https://mcp.example.com/mcp", false},
		{"https://mcp.example.com:443/mcp", "https://mcp.example.com/mcp", false},
		{"http://127.0.0.1:80/mcp", "http://127.0.0.1/mcp", false},
		{"http://127.0.0.1:8080/mcp/", "http://127.0.0.1:8080/mcp", false},
		{"https://mcp.example.com/", "https://mcp.example.com", false},
		{"https://mcp.example.com", "https://mcp.example.com", false},
		{"https://mcp.example.com:8443", "https://mcp.example.com:8443", false},
		{"https://[::1]:8443/mcp", "https://[::1]:8443/mcp", false},
		{"https://mcp.example.com/Server/MCP", "https://mcp.example.com/Server/MCP", false},
		{"https://mcp.example.com/mcp?tenant=a", "https://mcp.example.com/mcp?tenant=a", false},
		{"mcp.example.com", "", true},
		{"/mcp", "", true},
		{"https://mcp.example.com/mcp#frag", "", true},
		{"https://mcp.example.com/mcp#", "", true},
		{"https://user:pw@mcp.example.com/mcp", "", true},
		{"ftp://mcp.example.com/mcp", "", true},
		{"urn:example:resource", "", true},
		{"https:///mcp", "", true},
		{"", "", true},
		{"https://" + strings.Repeat("a", 2050), "", true},
	}
	for _, tt := range tests {
		got, err := CanonicalResource(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("CanonicalResource(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func FuzzCanonicalResource(f *testing.F) {
	for _, s := range []string{"https://mcp.example.com/mcp", "HTTP://[::1]:80/x/", "https://a/b?c#d", "http://127.0.0.1:8080"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := CanonicalResource(s)
		if err != nil {
			return
		}
		// Canonicalisation is idempotent, and its output is an absolute
		// http(s) URI with no fragment or user information.
		again, err := CanonicalResource(c)
		if err != nil || again != c {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, c, again, err)
		}
		u, err := url.Parse(c)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Fragment != "" || u.User != nil || u.Host == "" {
			t.Fatalf("bad canonical form %q of %q", c, s)
		}
	})
}
