package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

func setup(t *testing.T) (*sqlite.Store, string, audit.SealKey) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := audit.DeriveSealKey("k1", tokens.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return st, path, key
}

func record(t *testing.T, st *sqlite.Store, key audit.SealKey, n int, out *bytes.Buffer) {
	t.Helper()
	var ws []ioWriter
	if out != nil {
		ws = append(ws, out)
	}
	rec := audit.NewRecorder(audit.Options{Store: st, Key: key, Writers: ws})
	for i := range n {
		rec.Record(audit.Event{Type: audit.MCPRequest, Subject: "alice", ClientID: "c1", Server: "snippets",
			Method: "tools/call", Name: "get_snippet", Decision: audit.DecisionAllow, Status: 200, BytesOut: int64(i)})
	}
	rec.Close()
}

func TestRecordAndVerify(t *testing.T) {
	st, _, key := setup(t)
	var out bytes.Buffer
	record(t, st, key, 300, &out)
	rep, err := audit.Verify(context.Background(), st, []audit.SealKey{key})
	if err != nil || !rep.OK() || rep.Records != 300 || rep.LastSeq != 300 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 300 {
		t.Fatalf("%d JSON lines", len(lines))
	}
	var last struct {
		Seq  int64  `json:"seq"`
		Seal string `json:"seal"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(lines[299]), &last); err != nil || last.Seq != 300 || last.Seal == "" || last.Type != audit.MCPRequest {
		t.Fatalf("last line %s: %v", lines[299], err)
	}
	// A verifier with another key sees every seal as forged.
	other, _ := audit.DeriveSealKey("k1", tokens.GenerateKey())
	if rep, _ := audit.Verify(context.Background(), st, []audit.SealKey{other}); rep.OK() {
		t.Fatal("a chain verified under a different key")
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	tests := []struct {
		name   string
		tamper string
		seq    int64
		want   string
	}{
		{"edited payload", `UPDATE audit SET payload = CAST(replace(CAST(payload AS TEXT), 'alice', 'mallo') AS BLOB) WHERE seq = 5`, 5, "edited"},
		{"edited column", `UPDATE audit SET subject = 'bob' WHERE seq = 7`, 7, "indexed columns"},
		{"deleted record", `DELETE FROM audit WHERE seq = 4`, 5, "missing"},
		{"reordered records", `UPDATE audit SET seq = CASE seq WHEN 3 THEN 6 WHEN 6 THEN 3 END WHERE seq IN (3, 6)`, 3, "does not follow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, path, key := setup(t)
			record(t, st, key, 10, nil)
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			// The swap needs a free seq in between for the primary key.
			if strings.HasPrefix(tt.name, "reordered") {
				_, err = db.Exec(`UPDATE audit SET seq = 1000 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = 1000`)
			} else {
				_, err = db.Exec(tt.tamper)
			}
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			rep, err := audit.Verify(context.Background(), st, []audit.SealKey{key})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatal("tampering not detected")
			}
			p := rep.Problems[0]
			if p.Seq != tt.seq || !strings.Contains(p.Message, tt.want) {
				t.Fatalf("first problem %v, want record %d (%s); all: %v", p, tt.seq, tt.want, rep.Problems)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	in := json.RawMessage(`{"snippetname":"a","api_key":"k","nested":{"Password":"p","list":[{"token":"t","ok":1}]}}`)
	got := string(audit.Redact(in, config.DefaultRedactKeys()))
	for _, secret := range []string{`"k"`, `"p"`, `"t"`} {
		if strings.Contains(got, secret) {
			t.Errorf("%s survived redaction: %s", secret, got)
		}
	}
	if !strings.Contains(got, `"snippetname":"a"`) || !strings.Contains(got, `"ok":1`) {
		t.Errorf("redaction removed too much: %s", got)
	}
	if audit.Redact(json.RawMessage(`{bad`), nil) != nil {
		t.Error("invalid JSON was kept")
	}
}

func TestNilRecorderIsSafe(t *testing.T) {
	var r *audit.Recorder
	r.Record(audit.Event{Type: audit.MCPRequest})
	r.Close()
}

func TestRecorderStampsTime(t *testing.T) {
	st, _, key := setup(t)
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := audit.NewRecorder(audit.Options{Store: st, Key: key, Now: func() time.Time { return fixed }})
	rec.Record(audit.Event{Type: audit.SignInFailed, Reason: "bad_credentials"})
	rec.Close()
	recs, _ := st.ListAudit(context.Background(), storageFilter())
	if len(recs) != 1 || !recs[0].Time.Equal(fixed) || recs[0].Type != audit.SignInFailed {
		t.Fatalf("%+v", recs)
	}
}
