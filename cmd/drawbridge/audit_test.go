package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	rec := audit.NewRecorder(audit.Options{Store: st.(storage.AuditStore), Key: keys[0]})
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
