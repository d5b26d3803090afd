package storagetest

import (
	"crypto/sha256"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// BenchmarkAppendAudit runs benchmarkAppendAudit on a fresh store that
// open gives, in batches of 256 (the recorder's largest) and 64.
func BenchmarkAppendAudit(b *testing.B, open func(testing.TB) storage.Store) {
	for _, n := range []int{256, 64} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			s := open(b)
			defer s.Close()
			benchmarkAppendAudit(b, s, n)
		})
	}
}

// benchmarkAppendAudit appends batches of n records to s, a store of any
// backend, and reports the time and the allocations per record. Its seal
// allocates nothing (it writes into one buffer per batch), so that the
// allocations counted are the store's.
func benchmarkAppendAudit(b *testing.B, s storage.Store, n int) {
	payload := []byte(`{"time":"2026-11-25T21:00:00Z","type":"mcp.request","sub":"alice@example.com","client_id":"https://client.example/meta.json","server":"snippets","method":"tools/call","name":"get_snippet","decision":"allow","status":200}`)
	batch := make([]storage.AuditRecord, n)
	sums := make([]byte, 0, n*sha256.Size)
	h := sha256.New()
	seal := func(r *storage.AuditRecord) {
		h.Reset()
		h.Write(r.PrevHash)
		h.Write(r.Payload)
		start := len(sums)
		sums = h.Sum(sums)
		r.Hash, r.KeyID = sums[start:len(sums):len(sums)], "k1"
	}
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		sums = sums[:0]
		for j := range batch {
			batch[j] = storage.AuditRecord{Time: time.Now(), Type: "mcp.request", Subject: "alice@example.com",
				ClientID: "https://client.example/meta.json", Server: "snippets", Name: "get_snippet", Payload: payload}
		}
		if err := s.AppendAudit(b.Context(), batch, seal); err != nil {
			b.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	records := float64(b.N * n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
}
