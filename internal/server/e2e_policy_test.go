package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

func toolNames(t *testing.T, ctx context.Context, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	return names
}

func callErr(ctx context.Context, cs *mcp.ClientSession, tool string, args map[string]any) error {
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err == nil && res.IsError {
		return nil // a tool error is an answer from the tool: not a denial
	}
	return err
}

// TestPolicyThroughGateway runs in both protocol eras: legacy sessions
// (JSON and SSE answers) and the sessionless 2026-07-28 era.
func TestPolicyThroughGateway(t *testing.T) {
	for _, stateless := range []bool{false, true} {
		t.Run(map[bool]string{false: "legacy era", true: "2026-07-28 era"}[stateless], func(t *testing.T) {
			gw := gwtest.Start(t, gwtest.Options{StatelessBackend: stateless, ExtraYAML: docBlock(t, "policy.md", "snippets-policy")})
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()

			// bob (not in eng) sees no hello_mcp, and calling it is "unknown tool".
			bobBrowser := browser.New(gw.URL)
			bob := connectSDK(t, ctx, gw.MCP, sdkOAuthHandler(t, bobBrowser, "bob"))
			if got := toolNames(t, ctx, bob); !slices.Equal(got, []string{"get_snippet", "save_snippet"}) {
				t.Errorf("bob's tools = %v", got)
			}
			if err := callErr(ctx, bob, "hello_mcp", nil); err == nil || !strings.Contains(err.Error(), `unknown tool "hello_mcp"`) {
				t.Errorf("bob calling hello_mcp: %v", err)
			}

			// alice (eng) sees and uses it.
			aliceBrowser := browser.New(gw.URL)
			h := sdkOAuthHandler(t, aliceBrowser, gwtest.User)
			alice := connectSDK(t, ctx, gw.MCP, h)
			if got := toolNames(t, ctx, alice); !slices.Equal(got, []string{"get_snippet", "hello_mcp", "save_snippet"}) {
				t.Errorf("alice's tools = %v", got)
			}
			gwtest.CallText(t, ctx, alice, "hello_mcp", nil)

			// A condition on arguments.
			if err := callErr(ctx, alice, "get_snippet", map[string]any{"snippetname": "secret-plans"}); err == nil || !strings.Contains(err.Error(), "unknown tool") {
				t.Errorf("get_snippet secret-plans: %v", err)
			}

			// save_snippet needs snippets:write: the client gets a step-up
			// challenge, the user approves the new scope, the call succeeds.
			before, _ := mustToken(ctx, h)
			gwtest.CallText(t, ctx, alice, "save_snippet", map[string]any{"snippetname": "plans", "snippet": "ok"})
			after, _ := mustToken(ctx, h)
			if before.AccessToken == after.AccessToken {
				t.Error("save_snippet succeeded without a step-up")
			}
			if got := gwtest.CallText(t, ctx, alice, "get_snippet", map[string]any{"snippetname": "plans"}); !strings.Contains(got, "ok") {
				t.Errorf("get_snippet = %q", got)
			}
		})
	}
}

// TestPolicyDenialResponses checks the raw answers: a denial looks like an
// unknown tool, a missing scope is a 403 step-up challenge naming every
// scope the call needs, and the audit trail names the rule.
func TestPolicyDenialResponses(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: docBlock(t, "policy.md", "snippets-policy")})
	c := gwtest.RegisterClient(t, gw, nil)
	at := c.Tokens("bob")["access_token"].(string)
	post := func(body string) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, gw.MCP, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+at)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp, m
	}
	resp, m := post(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"hello_mcp","arguments":{}}}`)
	e, _ := m["error"].(map[string]any)
	if resp.StatusCode != 200 || m["id"] != 9.0 || e["code"] != -32602.0 || e["message"] != `unknown tool "hello_mcp"` {
		t.Errorf("denied call: %d %v", resp.StatusCode, m)
	}
	resp, _ = post(`{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"save_snippet","arguments":{"snippetname":"a","snippet":"b"}}}`)
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != 403 || !strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="snippets snippets:write"`) {
		t.Errorf("step-up: %d %q", resp.StatusCode, ch)
	}
	gw.Stop()
	st, err := sqlite.Open(context.Background(), gw.Cfg.Storage.SQLite.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, _ := st.ListAudit(context.Background(), storage.AuditFilter{Type: audit.MCPRequest})
	rules := map[string]string{}
	for _, r := range recs {
		var e audit.Event
		_ = json.Unmarshal(r.Payload, &e)
		rules[e.Name] = e.Decision + " " + e.Reason + " " + e.Rule
	}
	if rules["hello_mcp"] != "deny policy no-hello-for-others" || rules["save_snippet"] != "deny insufficient_scope save-needs-write" {
		t.Errorf("audit of denials: %v", rules)
	}
}

func TestPolicyConnectRule(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: docBlock(t, "policy.md", "connect-eng")})
	c := gwtest.RegisterClient(t, gw, nil)
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+c.Tokens("bob")["access_token"].(string)); resp.StatusCode != 403 {
		t.Errorf("bob (not in eng) connecting: %d", resp.StatusCode)
	}
	c2 := gwtest.RegisterClient(t, gw, nil)
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+c2.Tokens(gwtest.User)["access_token"].(string)); resp.StatusCode != 200 {
		t.Errorf("alice connecting: %d", resp.StatusCode)
	}
}

// TestFinanceExportExample: the documented export_ledger rule compiles and
// decides as the documentation says (the sample server has no such tool,
// so this runs the policy engine on the documented block).
func TestFinanceExportExample(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: docBlock(t, "policy.md", "finance-export")})
	c := gwtest.RegisterClient(t, gw, nil)
	at := c.Tokens(gwtest.User)["access_token"].(string) // alice is in eng, not finance
	req, _ := http.NewRequest(http.MethodPost, gw.MCP, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"export_ledger","arguments":{}}}`))
	req.Header.Set("Authorization", "Bearer "+at)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	if e, _ := m["error"].(map[string]any); e == nil || e["message"] != `unknown tool "export_ledger"` {
		t.Fatalf("alice calling export_ledger: %v", m)
	}
}
