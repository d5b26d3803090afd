package snippets_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/examples/snippets"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestProtocolVersions pins what doc.go promises about negotiation, so an
// SDK upgrade that changes it fails here instead of surprising the gateway.
func TestProtocolVersions(t *testing.T) {
	tests := []struct {
		name        string
		stateless   bool
		request     string // "" is the SDK client's default
		want        string
		wantSession bool
	}{
		{"stateful default client", false, "", "2025-11-25", true},
		{"stateful 2026 client falls back", false, "2026-07-28", "2025-11-25", true},
		{"stateful 2025-06-18", false, "2025-06-18", "2025-06-18", true},
		{"stateful 2025-03-26", false, "2025-03-26", "2025-03-26", true},
		{"stateful 2024-11-05", false, "2024-11-05", "2024-11-05", true},
		{"stateless default client", true, "", "2026-07-28", false},
		{"stateless 2025-11-25", true, "2025-11-25", "2025-11-25", false},
		{"stateless 2025-03-26", true, "2025-03-26", "2025-03-26", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, snippets.Options{Stateless: tt.stateless})
			cs, err := dial(testContext(t), ts, keyHeader(testKey), &mcp.ClientSessionOptions{ProtocolVersion: tt.request})
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			t.Cleanup(func() { _ = cs.Close() })
			if got := cs.InitializeResult().ProtocolVersion; got != tt.want {
				t.Errorf("negotiated %q, want %q", got, tt.want)
			}
			if got := cs.ID() != ""; got != tt.wantSession {
				t.Errorf("session id %q, want a session: %v", cs.ID(), tt.wantSession)
			}
			// Every negotiated era must actually work end to end.
			call(t, cs, "save_snippet", map[string]any{"snippetname": "v", "snippet": tt.want})
			if got, isErr := call(t, cs, "get_snippet", map[string]any{"snippetname": "v"}); isErr || got != tt.want {
				t.Errorf("get_snippet = %q (isError %v)", got, isErr)
			}
		})
	}
}

// TestStatefulRefuses2026 checks the raw answers a gateway relies on to pick
// the protocol era: discover lists legacy versions only, and any other
// 2026-07-28 request gets the SEP-2575 error naming them.
func TestStatefulRefuses2026(t *testing.T) {
	ts := startServer(t, snippets.Options{})
	legacy := []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}
	post := func(method string) (int, []byte) {
		body := `{"jsonrpc":"2.0","id":7,"method":"` + method + `","params":{"_meta":{` +
			`"io.modelcontextprotocol/protocolVersion":"2026-07-28",` +
			`"io.modelcontextprotocol/clientCapabilities":{},` +
			`"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"0"}}}}`
		req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, ts.URL+snippets.MCPPath, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = keyHeader(testKey)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
		req.Header.Set("Mcp-Method", method)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	status, body := post("tools/list")
	var rej struct {
		Error struct {
			Code int `json:"code"`
			Data struct {
				Supported []string `json:"supported"`
			} `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &rej); err != nil || status != http.StatusBadRequest || rej.Error.Code != -32022 {
		t.Fatalf("tools/list at 2026-07-28: %d %s, want 400 with error -32022", status, body)
	}
	if !slices.Equal(rej.Error.Data.Supported, legacy) {
		t.Errorf("rejection lists %v, want %v", rej.Error.Data.Supported, legacy)
	}

	_, body = post("server/discover")
	if !strings.Contains(string(body), `"supportedVersions":["2025-11-25","2025-06-18","2025-03-26","2024-11-05"]`) {
		t.Errorf("server/discover answer does not list exactly the legacy versions: %s", body)
	}
}
