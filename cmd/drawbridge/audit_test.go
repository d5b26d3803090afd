package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

func TestAuditVerifyAndList(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "db.sqlite")
	cfgPath := filepath.Join(dir, "drawbridge.yaml")
	yaml := `
public_url: http://127.0.0.1:8080
storage: {sqlite: {path: "` + db + `"}}
encryption_keys: [{id: k1, key: "` + tokens.GenerateKey() + `"}]
identity: {local: {users: [{username: u, password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]}}
servers: [{name: s, path: /mcp, upstream: "http://127.0.0.1:9/mcp"}]
`
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := server.OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := server.SealKeys(cfg)
	rec := audit.NewRecorder(audit.Options{Store: st, Key: keys[0]})
	for _, who := range []string{"alice", "bob", "alice"} {
		rec.Record(audit.Event{Type: audit.MCPRequest, Subject: who, Server: "s", Name: "get_snippet"})
	}
	rec.Close()
	st.Close()

	var out, errOut syncBuffer
	if code := run(context.Background(), []string{"audit", "verify", "--config", cfgPath}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "intact: 3 records") {
		t.Fatalf("verify: %d %s %s", code, out.String(), errOut.String())
	}
	out = syncBuffer{}
	if code := run(context.Background(), []string{"audit", "list", "--config", cfgPath, "--user", "alice"}, &out, &errOut); code != 0 || strings.Count(out.String(), "\n") != 2 {
		t.Fatalf("list: %d %q", code, out.String())
	}
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE audit SET payload = CAST(replace(CAST(payload AS TEXT), 'bob', 'eve') AS BLOB) WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	out = syncBuffer{}
	code := run(context.Background(), []string{"audit", "verify", "--config", cfgPath}, &out, &errOut)
	if code != 1 || !strings.Contains(out.String(), "record 2:") || !strings.Contains(errOut.String(), "NOT intact") {
		t.Fatalf("verify after tampering: %d\n%s\n%s", code, out.String(), errOut.String())
	}
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "drawbridge.yaml")
	yaml := `
public_url: http://127.0.0.1:8080
storage: {sqlite: {path: "` + filepath.Join(dir, "db.sqlite") + `"}}
encryption_keys: [{id: k1, key: "` + tokens.GenerateKey() + `"}]
identity: {local: {users: [{username: u, password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]}}
servers: [{name: s, path: /mcp, upstream: "http://127.0.0.1:9/mcp"}]
clients: [{id: fixed, name: Fixed client, redirect_uris: ["http://127.0.0.1/cb"]}]
`
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load(cfgPath)
	st, err := server.OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	_ = st.CreateClient(context.Background(), storage.Client{ID: "agent-1", Name: "Agent", Kind: storage.ClientKindDynamic, CreatedAt: now})
	for _, g := range []string{"g1", "g2"} {
		_ = st.CreateGrant(context.Background(), storage.Grant{ID: g, ClientID: "agent-1", Identity: storage.Identity{Subject: "local:u"}, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil)
	}
	st.Close()

	run1 := func(args ...string) (int, string, string) {
		var out, errOut syncBuffer
		code := run(context.Background(), append(args, "--config", cfgPath), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	if code, out, _ := run1("keys", "list"); code != 0 || !strings.Contains(out, "(current)") {
		t.Fatalf("keys list: %d %s", code, out)
	}
	code, out, _ := run1("keys", "rotate")
	if code != 0 || !strings.Contains(out, "is current") {
		t.Fatalf("keys rotate: %d %s", code, out)
	}
	if _, out, _ := run1("keys", "list"); strings.Count(out, "\n") != 2 {
		t.Fatalf("two keys after a rotation: %s", out)
	}
	if code, out, _ := run1("grants", "list", "--user", "local:u"); code != 0 || !strings.Contains(out, "g1") || !strings.Contains(out, "g2") {
		t.Fatalf("grants list: %d %s", code, out)
	}
	if code, out, _ := run1("grants", "revoke", "--id", "g1"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("grants revoke: %d %s", code, out)
	}
	if code, out, _ := run1("clients", "revoke", "--id", "agent-1", "--user", "local:u"); code != 0 || !strings.Contains(out, "1 grant(s) of client agent-1 revoked") {
		t.Fatalf("clients revoke: %d %s", code, out)
	}
	if code, out, _ := run1("clients", "revoke", "--id", "agent-1"); code != 0 || !strings.Contains(out, "0 grant(s)") {
		t.Fatalf("clients revoke again: %d %s", code, out)
	}
	if code, out, _ := run1("clients", "disable", "--id", "agent-1"); code != 0 || !strings.Contains(out, "client agent-1 disabled") {
		t.Fatalf("clients disable: %d %s", code, out)
	}
	if code, out, _ := run1("clients", "list"); code != 0 || !strings.Contains(out, "disabled=true") {
		t.Fatalf("clients list: %d %s", code, out)
	}
	if code, out, _ := run1("clients", "list"); code != 0 || !strings.Contains(out, "fixed\tconfig\tFixed client") {
		t.Fatalf("clients list without the pre-registered client: %d %s", code, out)
	}
	if code, _, errOut := run1("clients", "delete", "--id", "fixed"); code != 1 || !strings.Contains(errOut, "configuration file") {
		t.Fatalf("deleting a pre-registered client: %d %s", code, errOut)
	}
	if code, _, errOut := run1("clients", "revoke"); code != 1 || !strings.Contains(errOut, "--id") {
		t.Fatalf("clients revoke with nothing named: %d %s", code, errOut)
	}
	if code, _, errOut := run1("grants", "revoke"); code != 1 || !strings.Contains(errOut, "--id") {
		t.Fatalf("grants revoke with nothing named: %d %s", code, errOut)
	}
}
