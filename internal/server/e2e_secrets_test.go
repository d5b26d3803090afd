package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestNoSecretAtRest: after a full flow (confidential client, code,
// refresh, MCP call, revocation), no token, code, verifier, secret or
// password appears in any stored row or in the log.
func TestNoSecretAtRest(t *testing.T) {
	dir := t.TempDir()
	gw := gwtest.Start(t, gwtest.Options{DataDir: dir, ExtraYAML: "log: {oauth_debug: true}\naudit: {arguments: true}\n"})
	c := gwtest.RegisterClient(t, gw, map[string]any{"token_endpoint_auth_method": "client_secret_basic"})
	v := gwtest.NewVerifier()
	code := c.Code(v, gwtest.User)
	status, tok := c.Redeem(code, v)
	if status != 200 {
		t.Fatalf("token: %d %v", status, tok)
	}
	gwtest.MCPCall(t, gw.MCP, "Bearer "+tok["access_token"].(string))
	_, refreshed := c.Refresh(tok["refresh_token"].(string))
	revoke(t, c, url.Values{"token": {refreshed["access_token"].(string)}})
	// A console session, whose id is a bearer credential too.
	b, _ := consoleSignIn(t, gw, gwtest.User)
	var session string
	for _, ck := range b.Client.Jar.Cookies(&url.URL{Scheme: "http", Host: strings.TrimPrefix(gw.URL, "http://"), Path: "/"}) {
		if ck.Name == "drawbridge-console" {
			session = ck.Value
		}
	}
	gw.Stop()

	secrets := map[string]string{
		"client secret": c.Secret, "authorization code": code, "PKCE verifier": v,
		"access token": tok["access_token"].(string), "refresh token": tok["refresh_token"].(string),
		"second access token": refreshed["access_token"].(string), "second refresh token": refreshed["refresh_token"].(string),
		"password": gwtest.Password, "backend key": gw.Backend.Key, "console session id": session,
	}
	db, err := sql.Open("sqlite", dir+"/db.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 8 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	var stored strings.Builder
	for _, table := range tables {
		r, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for r.Next() {
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				fmt.Fprintf(&stored, "%s\x00", v)
			}
		}
		r.Close()
	}
	logs := gw.Logs.String()
	for what, secret := range secrets {
		if secret == "" {
			t.Fatalf("%s is empty: the test would prove nothing", what)
		}
		if strings.Contains(stored.String(), secret) {
			t.Errorf("the %s is stored in the clear", what)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the %s is in the log", what)
		}
	}
}
