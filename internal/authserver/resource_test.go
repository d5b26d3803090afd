package authserver

import (
	"fmt"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/identity/local"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

func resourceServer(t *testing.T, rs []Resource) *Server {
	t.Helper()
	p, _ := local.New("local", nil)
	s, err := New(Options{Issuer: "https://mcp.example.com", Password: p, Resources: rs})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestResourceRequiredDescription: the invalid_target description lists
// the MCP servers (not the resources that are never a default), writes
// each URL with only the characters a description may hold, and, when
// there are many, lists as many as fit and says how many more there are.
func TestResourceRequiredDescription(t *testing.T) {
	s := resourceServer(t, []Resource{
		{URL: "https://mcp.example.com/mcp"},
		{URL: "https://mcp.example.com/caf\u00e9/mcp"},
		{URL: "https://mcp.example.com/admin/api", ExplicitOnly: true},
	})
	for _, req := range [][]string{nil, {""}} {
		_, e := s.resource(req)
		want := "the resource parameter is required: this server protects several MCP servers; name one of: " +
			"https://mcp.example.com/mcp, https://mcp.example.com/caf%C3%A9/mcp"
		if e == nil || e.Code != oauth.ErrInvalidTarget || e.Description != want {
			t.Errorf("resource(%q) = %+v, want invalid_target %q", req, e, want)
		}
	}

	var many []Resource
	for i := range 60 {
		many = append(many, Resource{URL: fmt.Sprintf("https://mcp.example.com/team-%02d/a-rather-long-server-path/mcp", i)})
	}
	_, e := resourceServer(t, many).resource(nil)
	d := e.Description
	listed := strings.Count(d, "https://")
	if len(d) > oauth.MaxDescription || !strings.HasSuffix(d, fmt.Sprintf(" and %d more", 60-listed)) || listed < 10 {
		t.Errorf("%d bytes, %d listed: %s", len(d), listed, d)
	}
	if oauth.SafeDescription(d) != d {
		t.Errorf("description needed cleaning: %s", d)
	}
}
