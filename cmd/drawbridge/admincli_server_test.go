package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestCLIBesideARunningServer: with a server running on the same store,
// the command line refuses what the admin API refuses, changing nothing;
// its revocations take effect on the server (refresh tokens at once,
// access tokens at the server's next revocation sync); and its audit
// records, appended while the server appends its own, leave one intact
// chain.
func TestCLIBesideARunningServer(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		cliBesideServer(t, gwtest.Options{DataDir: dir}, fmt.Sprintf("{sqlite: {path: %q}}", filepath.Join(dir, "db.sqlite")))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := gwtest.PostgresDSN(t)
		cliBesideServer(t, gwtest.Options{PostgresDSN: dsn}, fmt.Sprintf("{type: postgres, postgres: {dsn: %q}}", dsn))
	})
}

func cliBesideServer(t *testing.T, opt gwtest.Options, storageYAML string) {
	opt.ExtraYAML = "admin: {groups: [eng]}\nclients: [{id: fixed, name: Fixed client, redirect_uris: [\"http://127.0.0.1/cb\"]}]\n"
	gw := gwtest.Start(t, opt)
	cfgPath := writeConfig(t, storageYAML, gw.Cfg.EncryptionKeys[0].Key)
	token := adminToken(t, gw)
	var clients []*gwtest.Client
	var toks []map[string]any
	var grants []string
	for range 3 {
		c := gwtest.RegisterClient(t, gw, nil)
		clients, toks = append(clients, c), append(toks, c.Tokens("bob"))
		grants = append(grants, grantOf(t, gw, c.ID))
	}

	const doc = "https://agents.example/c.json"
	for _, tc := range []struct {
		name, method, path string
		status             int
		cli                []string
		says               string
	}{
		{"a grant that does not exist", "POST", "/admin/api/grants/nope/revoke", 404,
			[]string{"grants", "revoke", "--id", "nope"}, "no grant nope"},
		{"every grant at once", "POST", "/admin/api/grants/revoke", 400,
			[]string{"grants", "revoke"}, "name --id, or --user and/or --client"},
		{"disabling a client that does not exist", "POST", "/admin/api/clients/nope/disable", 404,
			[]string{"clients", "disable", "--id", "nope"}, "no registered client nope"},
		{"enabling a client that does not exist", "POST", "/admin/api/clients/nope/enable", 404,
			[]string{"clients", "enable", "--id", "nope"}, "no registered client nope"},
		{"deleting a client that does not exist", "DELETE", "/admin/api/clients/nope", 404,
			[]string{"clients", "delete", "--id", "nope"}, "no registered client nope"},
		{"disabling a metadata-document client", "POST", "/admin/api/clients/" + url.PathEscape(doc) + "/disable", 404,
			[]string{"clients", "disable", "--id", doc}, "drawbridge clients block"},
		{"deleting a pre-registered client", "DELETE", "/admin/api/clients/fixed", 404,
			[]string{"clients", "delete", "--id", "fixed"}, "configuration file"},
		{"blocking a host with a port", "POST", "/admin/api/blocks?host=agents.example:443", 400,
			[]string{"clients", "block", "--host", "agents.example:443"}, "host"},
	} {
		if status := adminCall(t, gw, token, tc.method, tc.path); status != tc.status {
			t.Errorf("%s: the API answered %d, want %d", tc.name, status, tc.status)
		}
		if code, _, errOut := runCLI(cfgPath, tc.cli...); code != 1 || !strings.Contains(errOut, tc.says) {
			t.Errorf("%s: the command line exited %d: %s", tc.name, code, errOut)
		}
	}
	if resp := gwtest.MCPCall(t, gw.MCP, "Bearer "+toks[0]["access_token"].(string)); resp.StatusCode != 200 {
		t.Fatalf("bob's MCP call after the refusals: %d", resp.StatusCode)
	}

	// The server records every request while the command line revokes.
	stop, done := make(chan struct{}), make(chan int)
	go func() {
		n := 0
		defer func() { done <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if resp, err := http.Post(gw.MCP, "application/json", strings.NewReader(`{}`)); err == nil {
				resp.Body.Close()
				n++
			}
		}
	}()
	for _, args := range [][]string{
		{"grants", "revoke", "--id", grants[0]},
		{"clients", "revoke", "--id", clients[1].ID},
		{"clients", "disable", "--id", clients[2].ID},
	} {
		if code, out, errOut := runCLI(cfgPath, args...); code != 0 || !strings.Contains(out, "revoked") {
			t.Fatalf("%q: exit %d\n%s%s", args, code, out, errOut)
		}
	}
	close(stop)
	if n := <-done; n == 0 {
		t.Fatal("the server served nothing while the command line ran")
	}

	for i, c := range clients {
		if status, body := c.Refresh(toks[i]["refresh_token"].(string)); status < 400 || status >= 500 {
			t.Errorf("client %d's refresh after the command line revoked its grant: %d %v", i, status, body)
		}
	}
	// The command line has no revocation list: the server refuses the
	// access token once its own list has synced from the store.
	deadline := time.Now().Add(30 * time.Second)
	for gwtest.MCPCall(t, gw.MCP, "Bearer "+toks[0]["access_token"].(string)).StatusCode != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts an access token of a grant the command line revoked")
		}
		time.Sleep(100 * time.Millisecond)
	}

	gw.Stop() // flushes the server's recorder
	if code, out, errOut := runCLI(cfgPath, "audit", "verify"); code != 0 {
		t.Fatalf("audit verify: %d\n%s%s", code, out, errOut)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := server.OpenStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lines, events := auditLines(t, st)
	var got []string
	requests := 0
	for i, l := range lines {
		switch {
		case events[i].Type == audit.MCPRequest:
			requests++
		case strings.HasPrefix(l, "admin.") || strings.HasPrefix(l, audit.GrantRevoked):
			got = append(got, l)
		}
	}
	cli := "cli:" + cliUser()
	want := []string{
		"grant.revoked local:bob " + clients[0].ID + " " + grants[0] + " revoked_by_admin " + cli,
		"admin.grant_revoked " + cli + " drawbridge-cli " + grants[0] + "  ",
		"grant.revoked local:bob " + clients[1].ID + " " + grants[1] + " revoked_by_admin " + cli,
		"admin.grants_revoked " + cli + " drawbridge-cli  " + clients[1].ID + "  ",
		"grant.revoked local:bob " + clients[2].ID + " " + grants[2] + " client_disabled " + cli,
		"admin.client_disabled " + cli + " drawbridge-cli " + clients[2].ID + "  ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("admin and revocation records:\n  %s\nwant (none from the refusals):\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if requests == 0 {
		t.Error("no mcp.request record from the server")
	}
}

// adminToken gets a token for the admin API as alice, an administrator.
func adminToken(t *testing.T, gw *gwtest.Gateway) string {
	t.Helper()
	c := gwtest.RegisterClient(t, gw, nil)
	v := gwtest.NewVerifier()
	p, err := c.Browser.SignInLocal(c.AuthorizeURL(v, map[string]string{"resource": gw.URL + "/admin", "scope": "admin"}), gwtest.User, gwtest.Password, true)
	if err != nil || p.Callback == nil {
		t.Fatalf("admin authorization: %v", err)
	}
	status, body := c.Token(url.Values{"grant_type": {"authorization_code"}, "code": {p.Callback.Query().Get("code")},
		"code_verifier": {v}, "redirect_uri": {c.Redirect}, "resource": {gw.URL + "/admin"}})
	if status != 200 {
		t.Fatalf("admin token: %d %v", status, body)
	}
	return body["access_token"].(string)
}

func adminCall(t *testing.T, gw *gwtest.Gateway, token, method, path string) int {
	t.Helper()
	req, _ := http.NewRequest(method, gw.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// grantOf is the grant of a client (each has one here).
func grantOf(t *testing.T, gw *gwtest.Gateway, clientID string) string {
	t.Helper()
	gs, err := gw.Srv.Store().ListGrants(t.Context(), storage.GrantFilter{ClientID: clientID, IncludeRevoked: true})
	if err != nil || len(gs) != 1 {
		t.Fatalf("grants of %s: %v %v", clientID, gs, err)
	}
	return gs[0].ID
}
