package sqlite

import (
	"context"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// BenchmarkAppendAudit measures the audit trail's cost per record, written
// in the recorder's batches of 256.
func BenchmarkAppendAudit(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "db.sqlite"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	payload := []byte(`{"type":"mcp.request","time":"2026-11-25T21:00:00Z","subject":"alice@example.com","client_id":"https://client.example/meta.json","server":"snippets","method":"tools/call","name":"get_snippet","decision":"allow","status":200}`)
	seal := func(r *storage.AuditRecord) {
		h := sha256.Sum256(append(r.PrevHash, r.Payload...))
		r.Hash = h[:]
	}
	batch := make([]storage.AuditRecord, benchBatch)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		for j := range batch {
			batch[j] = storage.AuditRecord{Time: time.Now(), Type: "mcp.request", Subject: "alice@example.com", ClientID: "https://client.example/meta.json", Server: "snippets", Name: "get_snippet", Payload: payload, KeyID: "k1"}
		}
		if err := s.AppendAudit(ctx, batch, seal); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/record")
}

var benchBatch = 256 // the audit recorder's batch size
