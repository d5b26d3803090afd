package timeline

import (
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

func TestRecognise(t *testing.T) {
	tests := []struct {
		name     string
		c        Client
		agents   []string
		family   string
		evidence string
	}{
		{"Claude by redirect URI", Client{Name: "x", RedirectURIs: []string{"https://claude.ai/api/mcp/auth_callback"}}, nil, "Claude", "redirect URI host claude.ai"},
		{"Claude Code by name", Client{Name: "Claude Code (drawbridge)", RedirectURIs: []string{"http://localhost:54545/callback"}}, nil, "Claude", "client_name Claude Code (drawbridge)"},
		{"ChatGPT by metadata document host", Client{ID: "https://chatgpt.com/oauth/client.json"}, nil, "ChatGPT", "client_id host chatgpt.com"},
		{"ChatGPT by per-connector redirect", Client{RedirectURIs: []string{"https://chatgpt.com/connector_platform_oauth_redirect"}}, nil, "ChatGPT", "redirect URI host chatgpt.com"},
		{"VS Code by its redirect", Client{Name: "Visual Studio Code", RedirectURIs: []string{"http://127.0.0.1:33418", "https://vscode.dev/redirect"}}, nil, "VS Code", "redirect URI host vscode.dev"},
		{"Copilot before VS Code", Client{Name: "GitHub Copilot in Visual Studio Code"}, nil, "GitHub Copilot", "client_name GitHub Copilot in Visual Studio Code"},
		{"Cursor by private-use scheme", Client{RedirectURIs: []string{"cursor://anysphere.cursor-retrieval/oauth/callback"}}, nil, "Cursor", "redirect URI scheme cursor:"},
		{"mcp-remote by software_id", Client{Name: "My tool", SoftwareID: "2e6dc280-f3c3-4e01-99a7-8181dbd1d23d"}, nil, "mcp-remote", "software_id 2e6dc280-f3c3-4e01-99a7-8181dbd1d23d"},
		{"mcp-remote by its default name", Client{Name: "MCP CLI Client"}, nil, "mcp-remote", "client_name MCP CLI Client"},
		{"Python SDK by User-Agent", Client{Name: "my-agent"}, []string{"python-httpx/0.28.1"}, "MCP Python SDK (or another httpx client)", "User-Agent python-httpx/0.28.1"},
		{"Go SDK by User-Agent", Client{Name: "my-agent"}, []string{"Go-http-client/1.1"}, "MCP Go SDK (or another Go client)", "User-Agent Go-http-client/1.1"},
		{"registration beats User-Agent", Client{Name: "Cursor"}, []string{"node"}, "Cursor", "client_name Cursor"},
		{"a look-alike host is not the family", Client{RedirectURIs: []string{"https://claude.ai.evil.example/cb", "https://notclaude.ai/cb"}}, nil, "", ""},
		{"nothing known", Client{Name: "Acme agent", RedirectURIs: []string{"https://acme.example/cb"}}, []string{"curl/8"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Recognise(tt.c, tt.agents)
			switch {
			case tt.family == "" && f != nil:
				t.Errorf("recognised %+v, want nothing", f)
			case tt.family != "" && (f == nil || f.Name != tt.family || f.Evidence != tt.evidence):
				t.Errorf("recognised %+v, want %s by %q", f, tt.family, tt.evidence)
			}
		})
	}
}

// TestEveryFamilyWithQuirksSaysWhereFrom: a quirk without a source is a rumour.
func TestEveryFamilyWithQuirksSaysWhereFrom(t *testing.T) {
	for _, f := range families {
		if len(f.quirks) > 0 && f.source == "" {
			t.Errorf("%s: quirks without a source", f.name)
		}
	}
}

func TestClientOfReadsSoftwareID(t *testing.T) {
	c := ClientOf(storage.Client{ID: "c", Name: "n", RedirectURIs: []string{"http://127.0.0.1/cb"}, Metadata: []byte(`{"software_id":"s-1","client_name":"n"}`)})
	if c.SoftwareID != "s-1" || c.Name != "n" || len(c.RedirectURIs) != 1 {
		t.Errorf("client = %+v", c)
	}
	if c := ClientOf(storage.Client{ID: "c", Metadata: []byte(`not json`)}); c.SoftwareID != "" {
		t.Errorf("software_id from garbage: %q", c.SoftwareID)
	}
}
