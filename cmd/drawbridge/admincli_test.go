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

// setClock runs the command line on a fixed clock until the test ends.
func setClock(t *testing.T, at time.Time) {
	t.Helper()
	saved := clock
	clock = func() time.Time { return at }
	t.Cleanup(func() { clock = saved })
}

// writeConfig writes a configuration over storage (YAML) with key and
// returns its path.
func writeConfig(t *testing.T, storageYAML, key string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "drawbridge.yaml")
	yaml := `
public_url: http://127.0.0.1:8080
storage: ` + storageYAML + `
encryption_keys: [{id: k1, key: "` + key + `"}]
identity: {local: {users: [{username: u, password_hash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}]}}
servers: [{name: s, path: /mcp, upstream: "http://127.0.0.1:9/mcp"}]
clients: [{id: fixed, name: Fixed client, redirect_uris: ["http://127.0.0.1/cb"]}]
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCLI runs a command line against the configuration at cfgPath.
func runCLI(cfgPath string, args ...string) (int, string, string) {
	var out, errOut syncBuffer
	code := run(context.Background(), append(args, "--config", cfgPath), &out, &errOut)
	return code, out.String(), errOut.String()
}

// auditLines reads the audit trail as "type sub client name reason actor"
// lines, and the events.
func auditLines(t *testing.T, st storage.Store) ([]string, []audit.Event) {
	t.Helper()
	recs, err := st.ListAudit(t.Context(), storage.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	var es []audit.Event
	for _, r := range recs {
		var e audit.Event
		if err := json.Unmarshal(r.Payload, &e); err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
		lines = append(lines, strings.Join([]string{e.Type, e.Subject, e.ClientID, e.GrantID + e.Name, e.Reason, e.Actor}, " "))
	}
	return lines, es
}

// TestCLIAdminActionsAreAudited: the client and grant commands take the
// admin API's actions, so they write its audit records, as the command
// line's administrator (cli:<user>, client drawbridge-cli), on the
// command line's clock, and record a grant revoked already only once.
func TestCLIAdminActionsAreAudited(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, `{sqlite: {path: "`+filepath.Join(dir, "db.sqlite")+`"}}`, tokens.GenerateKey())
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	st, err := server.OpenStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"agent-1", "agent-2"} {
		if err := st.CreateClient(t.Context(), storage.Client{ID: id, Kind: storage.ClientKindDynamic, CreatedAt: at.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []struct{ id, user, client string }{
		{"g1", "local:alice", "agent-1"}, {"g2", "local:alice", "agent-1"}, {"g3", "local:bob", "agent-1"},
		{"g4", "local:bob", "agent-2"}, {"g5", "local:carol", "agent-2"},
	} {
		err := st.CreateGrant(t.Context(), storage.Grant{ID: g.id, ClientID: g.client, Identity: storage.Identity{Subject: g.user},
			CreatedAt: at.Add(-time.Hour), ExpiresAt: at.Add(time.Hour)}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	setClock(t, at)
	for _, args := range [][]string{
		{"grants", "revoke", "--id", "g1"},
		{"grants", "revoke", "--id", "g1"}, // revoked already: the action is recorded, the revocation is not
		{"grants", "revoke", "--user", "local:alice"},
		{"clients", "revoke", "--id", "agent-2", "--user", "local:carol"},
		{"clients", "disable", "--id", "agent-1"},
		{"clients", "enable", "--id", "agent-1"},
		{"clients", "delete", "--id", "agent-2"},
		{"keys", "rotate"},
	} {
		if code, out, errOut := runCLI(cfgPath, args...); code != 0 {
			t.Fatalf("%q: exit %d\n%s%s", args, code, out, errOut)
		}
	}

	st, err = server.OpenStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cli := "cli:" + cliUser()
	want := []string{
		"grant.revoked local:alice agent-1 g1 revoked_by_admin " + cli,
		"admin.grant_revoked " + cli + " drawbridge-cli g1  ",
		"admin.grant_revoked " + cli + " drawbridge-cli g1  ",
		"grant.revoked local:alice agent-1 g2 revoked_by_admin " + cli,
		"admin.grants_revoked " + cli + " drawbridge-cli local:alice   ",
		"grant.revoked local:carol agent-2 g5 consent_revoked " + cli,
		"consent.revoked local:carol agent-2  consent_revoked ",
		"admin.consent_revoked " + cli + " drawbridge-cli local:carol agent-2  ",
		"grant.revoked local:bob agent-1 g3 client_disabled " + cli,
		"admin.client_disabled " + cli + " drawbridge-cli agent-1  ",
		"admin.client_enabled " + cli + " drawbridge-cli agent-1  ",
		"grant.revoked local:bob agent-2 g4 client_deleted " + cli,
		"admin.client_deleted " + cli + " drawbridge-cli agent-2  ",
	}
	keys, err := st.ListSigningKeys(t.Context())
	if err != nil || len(keys) != 2 {
		t.Fatalf("signing keys after a rotation: %v %v", keys, err)
	}
	for _, k := range keys {
		if !k.CreatedAt.Equal(at) {
			t.Errorf("key %s made at %v, not on the command line's clock", k.ID, k.CreatedAt)
		}
	}
	got, events := auditLines(t, st)
	// The rotation names the new key: one of the two (both made at the
	// same instant here, so which one is not for this test to say).
	rotated := "admin.key_rotated " + cli + " drawbridge-cli " + keys[0].ID + "  "
	if len(got) > 0 && got[len(got)-1] == "admin.key_rotated "+cli+" drawbridge-cli "+keys[1].ID+"  " {
		rotated = got[len(got)-1]
	}
	want = append(want, rotated)
	if !slices.Equal(got, want) {
		t.Errorf("audit trail:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, e := range events {
		if !e.Time.Equal(at) {
			t.Errorf("%s recorded at %v, not on the command line's clock", e.Type, e.Time)
		}
	}
	gs, err := st.ListGrants(t.Context(), storage.GrantFilter{IncludeRevoked: true})
	if err != nil || len(gs) != 5 {
		t.Fatalf("grants: %v %v", gs, err)
	}
	for _, g := range gs {
		if !g.RevokedAt.Equal(at) {
			t.Errorf("grant %s revoked at %v (%s), not on the command line's clock", g.ID, g.RevokedAt, g.RevokeReason)
		}
	}
	if c, err := st.GetClient(t.Context(), "agent-1"); err != nil || c.Disabled {
		t.Errorf("agent-1 after disable and enable: %+v %v", c, err)
	}
	if _, err := st.GetClient(t.Context(), "agent-2"); err == nil {
		t.Error("agent-2 survived its deletion")
	}
	if code, out, errOut := runCLI(cfgPath, "audit", "verify"); code != 0 {
		t.Errorf("audit verify: %d\n%s%s", code, out, errOut)
	}
}
