package storage

import (
	"context"
	"time"
)

// AuditStore keeps the audit trail: an append-only sequence of records,
// each sealed together with the seal of the one before (a hash chain), so
// that an edited, removed or reordered record shows.
//
// It is part of Store; packages that only keep or read the trail (audit)
// take this narrower interface.
type AuditStore interface {
	// AppendAudit appends records in order, atomically. For each one it
	// assigns Seq (one more than the last stored) and PrevHash (the Hash of
	// the record before, empty for the first), then calls seal, which must
	// set Hash (and KeyID). Appends from several processes are serialised.
	AppendAudit(ctx context.Context, recs []AuditRecord, seal func(*AuditRecord)) error
	// ListAudit returns records in Seq order.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditRecord, error)
}

// AuditRecord is one stored audit event. The indexed columns (Type,
// Subject, ...) repeat fields of Payload so that queries need not parse it;
// verification checks that they agree.
type AuditRecord struct {
	Seq      int64
	Time     time.Time
	Type     string
	Subject  string
	ClientID string
	Server   string
	Name     string
	// Payload is the event as JSON, exactly as sealed.
	Payload  []byte
	KeyID    string
	PrevHash []byte
	Hash     []byte
}

// AuditFilter selects audit records; zero fields match everything.
type AuditFilter struct {
	From, To time.Time // To is exclusive
	Type     string
	Subject  string
	ClientID string
	Server   string
	Name     string
	// AfterSeq returns records with a larger Seq (paging).
	AfterSeq int64
	// Limit caps the result; 0 means no limit.
	Limit int
}
