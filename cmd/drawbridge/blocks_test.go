package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// TestBlockCommands: clients block|unblock|blocked block metadata-document
// clients by client_id URL and by host, revoke their grants (and only
// theirs), and record what they did in the audit trail.
func TestBlockCommands(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "drawbridge.yaml")
	yaml := `
public_url: http://127.0.0.1:8080
storage: {sqlite: {path: "` + filepath.Join(dir, "db.sqlite") + `"}}
encryption_keys: [{id: k1, key: "` + tokens.GenerateKey() + `"}]
identity: {local: {users: [{username: u, password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]}}
servers: [{name: s, path: /mcp, upstream: "http://127.0.0.1:9/mcp"}]
`
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ := config.Load(cfgPath)
	open := func() storage.Store {
		st, err := server.OpenStore(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	const a, b, other = "https://agents.example/a.json", "https://Agents.Example:8443/b.json", "https://other.example/c.json"
	st := open()
	now := time.Now()
	for id, client := range map[string]string{"ga": a, "gb": b, "go": other} {
		err := st.CreateGrant(context.Background(), storage.Grant{ID: id, ClientID: client, Identity: storage.Identity{Subject: "local:u"},
			CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	run1 := func(args ...string) (int, string, string) {
		var out, errOut syncBuffer
		code := run(context.Background(), append(args, "--config", cfgPath), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	for _, bad := range [][]string{
		{"clients", "block"}, {"clients", "block", "--id", a, "--host", "agents.example"},
		{"clients", "block", "--id", "agent-1"}, {"clients", "block", "--host", "agents.example:443"},
		{"clients", "unblock", "--host", "agents.example"}, // not blocked
	} {
		if code, _, _ := run1(bad...); code != 1 {
			t.Errorf("%q: exit %d, want 1", bad, code)
		}
	}
	if code, out, errOut := run1("clients", "block", "--id", a, "--reason", "leaked token"); code != 0 || !strings.Contains(out, "1 grant(s) revoked") {
		t.Fatalf("block --id: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run1("clients", "block", "--host", "AGENTS.example"); code != 0 || !strings.Contains(out, "1 grant(s) revoked") {
		t.Fatalf("block --host: %d %s %s", code, out, errOut)
	}
	code, out, _ := run1("clients", "blocked")
	if code != 0 || !strings.Contains(out, "client_id\t"+a+"\t") || !strings.Contains(out, "leaked token") || !strings.Contains(out, "host\tagents.example\t") {
		t.Fatalf("blocked: %d %s", code, out)
	}
	st = open()
	for id, wantRevoked := range map[string]bool{"ga": true, "gb": true, "go": false} {
		g, err := st.GetGrant(context.Background(), id)
		if err != nil || g.Revoked() != wantRevoked || (wantRevoked && g.RevokeReason != "client_blocked") {
			t.Errorf("grant %s: revoked %v (%q), want %v: %v", id, g.Revoked(), g.RevokeReason, wantRevoked, err)
		}
	}
	if _, err := st.FindClientBlock(context.Background(), "https://agents.example/new.json", []string{"agents.example"}); err != nil {
		t.Errorf("a new client of the blocked host: %v", err)
	}
	st.Close()
	if code, out, errOut := run1("clients", "unblock", "--id", a); code != 0 || !strings.Contains(out, "unblocked") {
		t.Fatalf("unblock --id: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run1("clients", "unblock", "--host", "agents.example"); code != 0 || !strings.Contains(out, "unblocked") {
		t.Fatalf("unblock --host: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run1("clients", "blocked"); code != 0 || strings.TrimSpace(out) != "" {
		t.Fatalf("blocked after unblocking: %d %q", code, out)
	}

	st = open()
	defer st.Close()
	recs, err := st.ListAudit(context.Background(), storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		var e audit.Event
		_ = json.Unmarshal(r.Payload, &e)
		got = append(got, e.Type+" "+e.Subject+" "+e.ClientID+" "+e.Name+" "+e.Reason)
	}
	want := []string{
		"admin.client_blocked cli:" + cliUser() + " drawbridge-cli client_id " + a + " ",
		"grant.revoked local:u " + a + "  client_blocked",
		"admin.client_blocked cli:" + cliUser() + " drawbridge-cli host agents.example ",
		"grant.revoked local:u " + b + "  client_blocked",
		"admin.client_unblocked cli:" + cliUser() + " drawbridge-cli client_id " + a + " ",
		"admin.client_unblocked cli:" + cliUser() + " drawbridge-cli host agents.example ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit trail:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
