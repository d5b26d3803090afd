package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var auditCols = columns{"seq", "time", "type", "subject", "client_id", "server", "name", "payload", "key_id", "prev_hash", "hash"}

// auditRowsPerInsert keeps a statement's parameters (11 a row) well under
// SQLite's limit of 32766.
const auditRowsPerInsert = 64

// auditInsert is the INSERT of n rows.
func auditInsert(n int) string {
	row := "(" + auditCols.params() + ")"
	return "INSERT INTO audit (" + auditCols.names() + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+",", n), ",")
}

// AppendAudit appends records after the current last one, in the single
// write transaction that also serialises every other writer.
func (s *Store) AppendAudit(ctx context.Context, recs []storage.AuditRecord, seal func(*storage.AuditRecord)) error {
	if len(recs) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var seq int64
		var prev []byte
		err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		for i := range recs {
			r := &recs[i]
			seq++
			r.Seq, r.PrevHash = seq, append([]byte{}, prev...)
			seal(r)
			prev = r.Hash
		}
		// Many rows per INSERT: parsing and running one statement per
		// record was most of the cost of auditing a busy gateway.
		for rest := recs; len(rest) > 0; {
			n := min(len(rest), auditRowsPerInsert)
			args := make([]any, 0, n*len(auditCols))
			for _, r := range rest[:n] {
				args = append(args, r.Seq, at(r.Time), r.Type, r.Subject, r.ClientID, r.Server, r.Name, r.Payload, r.KeyID, r.PrevHash, r.Hash)
			}
			if _, err := tx.ExecContext(ctx, auditInsert(n), args...); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: append audit: %w", err)
	}
	return nil
}

// ListAudit returns the records f selects, in sequence order.
func (s *Store) ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditRecord, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if !f.From.IsZero() {
		add("time >= ?", at(f.From))
	}
	if !f.To.IsZero() {
		add("time < ?", at(f.To))
	}
	for col, v := range map[string]string{"type": f.Type, "subject": f.Subject, "client_id": f.ClientID, "server": f.Server, "name": f.Name} {
		if v != "" {
			add(col+" = ?", v)
		}
	}
	if f.AfterSeq > 0 {
		add("seq > ?", f.AfterSeq)
	}
	q := auditCols.selectFrom("audit")
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	recs, err := collect(rows, err, func(sc scanner) (storage.AuditRecord, error) {
		var r storage.AuditRecord
		err := sc.Scan(&r.Seq, timeCol{&r.Time}, &r.Type, &r.Subject, &r.ClientID, &r.Server, &r.Name, &r.Payload, &r.KeyID, &r.PrevHash, &r.Hash)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit: %w", err)
	}
	return recs, nil
}
