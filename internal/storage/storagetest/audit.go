package storagetest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// testSeal is a stand-in for the audit package's keyed seal: any function
// of the previous hash and the record will do for the store's contract.
func testSeal(r *storage.AuditRecord) {
	h := sha256.New()
	h.Write(r.PrevHash)
	fmt.Fprintf(h, "%d|%s", r.Seq, r.Payload)
	r.Hash, r.KeyID = h.Sum(nil), "k1"
}

func auditRecord(i int, subject string) storage.AuditRecord {
	return storage.AuditRecord{Time: at(time.Duration(i) * time.Minute), Type: "mcp.request", Subject: subject,
		ClientID: "client-a", Server: "snippets", Name: "get_snippet", Payload: []byte(fmt.Sprintf(`{"n":%d}`, i))}
}

func testAudit(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, s.AppendAudit(ctx, []storage.AuditRecord{auditRecord(0, "user-1"), auditRecord(1, "user-2")}, testSeal))
	must(t, s.AppendAudit(ctx, []storage.AuditRecord{auditRecord(2, "user-1")}, testSeal))
	must(t, s.AppendAudit(ctx, nil, testSeal))
	all, err := s.ListAudit(ctx, storage.AuditFilter{})
	must(t, err)
	if len(all) != 3 {
		t.Fatalf("ListAudit = %d records, want 3", len(all))
	}
	var prev []byte
	for i, r := range all {
		if r.Seq != int64(i+1) || !bytes.Equal(r.PrevHash, prev) || len(r.Hash) == 0 || r.KeyID != "k1" {
			t.Fatalf("record %d: seq %d, prev %x (want %x), hash %x", i, r.Seq, r.PrevHash, prev, r.Hash)
		}
		want := auditRecord(i, r.Subject)
		want.Seq, want.PrevHash, want.Hash, want.KeyID = r.Seq, r.PrevHash, r.Hash, r.KeyID
		check(t, fmt.Sprintf("record %d", i), r, want)
		prev = r.Hash
	}
	byUser, err := s.ListAudit(ctx, storage.AuditFilter{Subject: "user-1"})
	must(t, err)
	if len(byUser) != 2 || byUser[0].Seq != 1 || byUser[1].Seq != 3 {
		t.Errorf("filter by subject: %+v", byUser)
	}
	window, err := s.ListAudit(ctx, storage.AuditFilter{From: at(time.Minute), To: at(2 * time.Minute)})
	must(t, err)
	if len(window) != 1 || window[0].Seq != 2 {
		t.Errorf("filter by time: %+v", window)
	}
	page, err := s.ListAudit(ctx, storage.AuditFilter{AfterSeq: 1, Limit: 1})
	must(t, err)
	if len(page) != 1 || page[0].Seq != 2 {
		t.Errorf("paging: %+v", page)
	}
}

// testAuditConcurrentAppends: appends racing from many goroutines still
// form one unbroken chain.
func testAuditConcurrentAppends(t *testing.T, s storage.Store) {
	var wg sync.WaitGroup
	for g := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				if err := s.AppendAudit(t.Context(), []storage.AuditRecord{auditRecord(g*5+i, "u")}, testSeal); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	all, err := s.ListAudit(t.Context(), storage.AuditFilter{})
	must(t, err)
	if len(all) != 50 {
		t.Fatalf("%d records, want 50", len(all))
	}
	var prev []byte
	for i, r := range all {
		if r.Seq != int64(i+1) || !bytes.Equal(r.PrevHash, prev) {
			t.Fatalf("chain broken at %d", r.Seq)
		}
		prev = r.Hash
	}
}

// testAuditStoredAsAppended: ListAudit gives back every field exactly as
// AppendAudit left it in the caller's records (with Seq, PrevHash, Hash and
// KeyID filled in), whatever the batch size and however odd the bytes: the
// seal covers the payload and the previous hash, and verification compares
// the indexed columns with the payload, so a changed byte, a lost nanosecond
// or an empty hash read back as nil would break the chain or its checks.
func testAuditStoredAsAppended(t *testing.T, s storage.Store) {
	ctx := t.Context()
	odd := storage.AuditRecord{Time: elsewhere(at(time.Nanosecond)), Type: `a "quoted" \ type`,
		Subject: "ünïcødé <&> \u2028 \t tab", ClientID: "", Server: "'; DROP TABLE audit; --", Name: "%_ [] {}",
		Payload: []byte{0, 0xff, '"', '\\', 0xc3}}
	var appended []storage.AuditRecord
	for _, n := range []int{1, 2, 70, 256} {
		batch := make([]storage.AuditRecord, n)
		for i := range batch {
			batch[i] = auditRecord(len(appended)+i, fmt.Sprintf("user-%d", i%3))
		}
		if n == 2 {
			batch[1] = odd
		}
		must(t, s.AppendAudit(ctx, batch, testSeal))
		appended = append(appended, batch...)
	}
	got, err := s.ListAudit(ctx, storage.AuditFilter{})
	must(t, err)
	if len(got) != len(appended) {
		t.Fatalf("ListAudit = %d records, want %d", len(got), len(appended))
	}
	for i := range got {
		check(t, fmt.Sprintf("record %d", i+1), got[i], appended[i])
	}
}

// testAuditFailedBatch: a batch with one record the store refuses (no
// seal) stores none of its records, and the chain goes on from where it
// was.
func testAuditFailedBatch(t *testing.T, s storage.Store) {
	ctx := t.Context()
	must(t, s.AppendAudit(ctx, []storage.AuditRecord{auditRecord(0, "u")}, testSeal))
	unsealed := func(r *storage.AuditRecord) {
		if testSeal(r); r.Seq == 3 {
			r.Hash = nil
		}
	}
	batch := []storage.AuditRecord{auditRecord(1, "u"), auditRecord(2, "u"), auditRecord(3, "u")}
	if err := s.AppendAudit(ctx, batch, unsealed); err == nil {
		t.Fatal("AppendAudit stored a record without a hash")
	}
	must(t, s.AppendAudit(ctx, []storage.AuditRecord{auditRecord(4, "u")}, testSeal))
	all, err := s.ListAudit(ctx, storage.AuditFilter{})
	must(t, err)
	if len(all) != 2 || all[1].Seq != 2 || !bytes.Equal(all[1].PrevHash, all[0].Hash) || string(all[1].Payload) != `{"n":4}` {
		t.Fatalf("after a failed batch: %+v", all)
	}
}
