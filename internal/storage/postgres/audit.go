package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var auditCols = columns{"seq", "time", "type", "subject", "client_id", "server", "name", "payload", "key_id",
	"prev_hash", "hash"}

var auditLockKey = lockKey("drawbridge/storage/postgres: append audit")

// AppendAudit appends records after the current last one. Appenders, from
// any replica, take a transaction-scoped advisory lock first and so run one
// at a time: each reads the chain's end only once the previous append has
// committed. (Locking the last row would not do: two appenders would both
// lock the same row, then both append after it.) Readers are not blocked.
func (s *Store) AppendAudit(ctx context.Context, recs []storage.AuditRecord, seal func(*storage.AuditRecord)) error {
	if len(recs) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, auditLockKey); err != nil {
			return err
		}
		var seq int64
		var prev []byte
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// The whole batch goes in one round trip.
		var b pgx.Batch
		insert := "INSERT INTO audit (" + auditCols.names() + ") VALUES (" + auditCols.params() + ")"
		for i := range recs {
			r := &recs[i]
			seq++
			r.Seq, r.PrevHash = seq, append([]byte{}, prev...)
			seal(r)
			b.Queue(insert, r.Seq, at(r.Time), r.Type, r.Subject, r.ClientID, r.Server, r.Name, r.Payload, r.KeyID, r.PrevHash, r.Hash)
			prev = r.Hash
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: append audit: %w", err)
	}
	return nil
}

// ListAudit returns the records f selects, in sequence order.
func (s *Store) ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditRecord, error) {
	query, args := auditQuery(f)
	rows, err := s.pool.Query(ctx, query, args...)
	recs, err := collect(rows, err, func(sc scanner) (storage.AuditRecord, error) {
		var r storage.AuditRecord
		err := sc.Scan(&r.Seq, (*nanoTime)(&r.Time), &r.Type, &r.Subject, &r.ClientID, &r.Server, &r.Name,
			&r.Payload, &r.KeyID, &r.PrevHash, &r.Hash)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit: %w", err)
	}
	return recs, nil
}

func auditQuery(f storage.AuditFilter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if !f.From.IsZero() {
		add("time >=", at(f.From))
	}
	if !f.To.IsZero() {
		add("time <", at(f.To))
	}
	for _, eq := range []struct{ col, v string }{
		{"type", f.Type}, {"subject", f.Subject}, {"client_id", f.ClientID}, {"server", f.Server}, {"name", f.Name},
	} {
		if eq.v != "" {
			add(eq.col+" =", eq.v)
		}
	}
	if f.AfterSeq > 0 {
		add("seq >", f.AfterSeq)
	}
	query := auditCols.selectFrom("audit")
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY seq"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		query += " LIMIT $" + strconv.Itoa(len(args))
	}
	return query, args
}
