package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Problem is one break in the chain.
type Problem struct {
	Seq     int64
	Message string
}

func (p Problem) String() string { return fmt.Sprintf("record %d: %s", p.Seq, p.Message) }

// Report is the outcome of Verify.
type Report struct {
	Records  int
	Problems []Problem
	// Last is the seal of the last record, to compare with an outside copy
	// (the JSON-lines sink): a chain cut short at its end is only visible
	// that way.
	LastSeq  int64
	LastSeal []byte
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Verify walks the whole chain and reports every record whose seal does
// not match its content (edited), whose predecessor is not the record
// before it (reordered or removed), or whose indexed columns disagree with
// its sealed payload.
func Verify(ctx context.Context, as storage.AuditStore, keys []SealKey) (Report, error) {
	var rep Report
	var prevHash []byte
	var prevSeq int64
	for {
		page, err := as.ListAudit(ctx, storage.AuditFilter{AfterSeq: prevSeq, Limit: 1000})
		if err != nil {
			return rep, err
		}
		if len(page) == 0 {
			return rep, nil
		}
		for i := range page {
			r := &page[i]
			rep.Records++
			rep.check(r, prevSeq, prevHash, keys)
			prevSeq, prevHash = r.Seq, r.Hash
			rep.LastSeq, rep.LastSeal = r.Seq, r.Hash
		}
	}
}

func (rep *Report) check(r *storage.AuditRecord, prevSeq int64, prevHash []byte, keys []SealKey) {
	add := func(format string, args ...any) {
		rep.Problems = append(rep.Problems, Problem{Seq: r.Seq, Message: fmt.Sprintf(format, args...)})
	}
	if r.Seq != prevSeq+1 {
		add("expected record %d next: %d record(s) before this one are missing", prevSeq+1, r.Seq-prevSeq-1)
	}
	if !bytes.Equal(r.PrevHash, prevHash) {
		add("does not follow the record before it (removed or reordered records)")
	}
	key, err := findKey(keys, r.KeyID)
	if err != nil {
		add("sealed with key %q, which is not configured", r.KeyID)
	} else if !bytes.Equal(sealHash(key, r), r.Hash) {
		add("its seal does not match its content (edited)")
	}
	var e Event
	if err := json.Unmarshal(r.Payload, &e); err != nil {
		add("payload is not an event")
		return
	}
	if e.Type != r.Type || storage.CleanText(e.Subject) != r.Subject || storage.CleanText(e.ClientID) != r.ClientID ||
		e.Server != r.Server || storage.CleanText(e.Name) != r.Name || !e.Time.Equal(r.Time) {
		add("its indexed columns differ from its sealed payload (edited)")
	}
}
