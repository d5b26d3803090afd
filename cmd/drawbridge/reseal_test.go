package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
)

// TestKeysReseal: after a new encryption key is put first, keys reseal
// moves the signing keys and the vault to it, and the old key can go;
// grants revoke deletes a grant's upstream tokens.
func TestKeysReseal(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "drawbridge.yaml")
	k1, k2 := tokens.RingKey{ID: "k1", Key: tokens.GenerateKey()}, tokens.RingKey{ID: "k2", Key: tokens.GenerateKey()}
	write := func(keys ...tokens.RingKey) *config.Config {
		var ks []string
		for _, k := range keys {
			ks = append(ks, `{id: `+k.ID+`, key: "`+k.Key+`"}`)
		}
		yaml := `
public_url: http://127.0.0.1:8080
storage: {sqlite: {path: "` + filepath.Join(dir, "db.sqlite") + `"}}
encryption_keys: [` + strings.Join(ks, ", ") + `]
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
		return cfg
	}
	open := func(cfg *config.Config, keys ...tokens.RingKey) (storage.Store, *vault.Vault) {
		st, err := server.OpenStore(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		kr, err := tokens.NewKeyring(keys)
		if err != nil {
			t.Fatal(err)
		}
		return st, vault.New(vault.Options{Store: st, Keyring: kr})
	}
	ctx := context.Background()
	cfg := write(k1)
	st, v := open(cfg, k1)
	now := time.Now()
	ring1, err := tokens.NewKeyring([]tokens.RingKey{k1})
	if err != nil {
		t.Fatal(err)
	}
	signing, err := tokens.LoadKeys(ctx, st, ring1, time.Now) // creates the first signing key, sealed with k1
	if err != nil {
		t.Fatal(err)
	}
	kid := signing.Current()
	for _, g := range []string{"g1", "g2"} {
		sid, err := v.Save(ctx, "local:u", vault.Tokens{AccessToken: "upstream-" + g, Expiry: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateGrant(ctx, storage.Grant{ID: g, ClientID: "c", Identity: storage.Identity{Subject: "local:u"},
			UpstreamSessionID: sid, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	write(k2, k1)
	var out, errOut syncBuffer
	if code := run(ctx, []string{"keys", "reseal", "--config", cfgPath}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "re-sealed 1 of 1 signing keys") ||
		!strings.Contains(out.String(), "re-sealed 2 of 2 upstream") || !strings.Contains(out.String(), "key k2") {
		t.Fatalf("keys reseal: %d %s %s", code, out.String(), errOut.String())
	}
	out = syncBuffer{}
	if code := run(ctx, []string{"grants", "revoke", "--id", "g2", "--config", cfgPath}, &out, &errOut); code != 0 {
		t.Fatalf("grants revoke: %d %s", code, errOut.String())
	}
	st, v = open(write(k2), k2)
	defer st.Close()
	if tok, err := v.Token(ctx, "g1"); err != nil || tok.AccessToken != "upstream-g1" {
		t.Fatalf("with the old key gone: %+v, %v", tok, err)
	}
	if _, err := v.Token(ctx, "g2"); err == nil {
		t.Fatal("a revoked grant's upstream tokens are still there")
	}
	ring2, err := tokens.NewKeyring([]tokens.RingKey{k2})
	if err != nil {
		t.Fatal(err)
	}
	if signing, err := tokens.LoadKeys(ctx, st, ring2, time.Now); err != nil {
		t.Fatalf("signing keys with the old encryption key gone: %v", err)
	} else if signing.Current() != kid {
		t.Fatalf("current signing key %q, want %q", signing.Current(), kid)
	}
	if us, _ := st.ListUpstreamSessions(ctx, "", 10); len(us) != 1 {
		t.Fatalf("%d upstream sessions, want 1", len(us))
	}
}
