package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var auditCols = columns{"seq", "time", "type", "subject", "client_id", "server", "name", "payload", "key_id",
	"prev_hash", "hash"}

// auditRowsPerInsert keeps a statement's parameters (11 a row) well under
// the engines' limits (SQLite's 32766, PostgreSQL's 65535).
const auditRowsPerInsert = 64

// auditInserts are the INSERTs of 1 to auditRowsPerInsert rows, each
// built the first time an append needs it: a gateway that is busy but not
// saturated appends batches of every size, and building the text again
// for each one cost more than sealing its records.
var auditInserts [auditRowsPerInsert + 1]struct {
	once sync.Once
	q    string
}

// auditInsert is the INSERT of n rows.
func auditInsert(n int) string {
	a := &auditInserts[n]
	a.once.Do(func() { a.q = buildAuditInsert(n) })
	return a.q
}

// buildAuditInsert writes the INSERT of n rows. Its first argument is the
// first row's seq and row i's seq is that plus i, so that no row needs an
// argument of its own for it (see auditArgs); each row's other
// columns are its own ten arguments.
func buildAuditInsert(n int) string {
	rest := auditCols[1:]
	rows := make([]string, n)
	for i := range rows {
		rows[i] = "(CAST($1 AS BIGINT) + " + strconv.Itoa(i) + ", " + rest.params(2+i*len(rest)) + ")"
	}
	return "INSERT INTO audit (" + auditCols.names() + ") VALUES " + strings.Join(rows, ", ")
}

// AppendAudit appends records after the current last one. Appends run one at
// a time, each reading the chain's end only once the previous append has
// committed: Engine.AuditLock serialises them where transactions do not run
// one at a time already. (Locking the last row would not do: two appenders
// would both lock the same row, then both append after it.)
func (s *Store) AppendAudit(ctx context.Context, recs []storage.AuditRecord, seal func(*storage.AuditRecord)) error {
	if len(recs) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(q Querier) error {
		if s.e.AuditLock != "" {
			if _, err := q.Exec(ctx, s.e.AuditLock); err != nil {
				return err
			}
		}
		var seq int64
		var prev []byte
		err := q.QueryRow(ctx, `SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		for i := range recs {
			r := &recs[i]
			seq++
			// The first record's PrevHash is nil, as ListAudit reads it;
			// the others' is the previous record's Hash itself (never
			// written to once sealed), not a copy.
			r.Seq, r.PrevHash = seq, prev
			seal(r)
			prev = r.Hash
		}
		// Many rows per INSERT: parsing and running one statement per
		// record was most of the cost of auditing a busy gateway.
		var a auditArgs
		for rest := recs; len(rest) > 0; {
			n := min(len(rest), auditRowsPerInsert)
			args, err := a.of(rest[:n])
			if err != nil {
				return err
			}
			if _, err := q.Exec(ctx, auditInsert(n), args...); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	})
	if err != nil {
		return s.errorf("append audit: %w", err)
	}
	return nil
}

// auditArgs builds the arguments of the audit INSERTs of one append.
// database/sql takes them as []any, and putting a string, a byte slice or
// an int64 (above 255) in an interface allocates: eleven allocations a
// record, most of an audited request's own. Consecutive records mostly
// repeat their type, subject, client, server, name and key, so a value
// equal to the previous record's reuses its interface; a record's
// prev_hash is the previous record's hash, whose interface is reused too;
// and the seq is computed by the INSERT (buildAuditInsert). What is left
// is the time, the payload and the hash: three a record.
type auditArgs struct {
	typ, subject, client, server, name, keyID boxed
	hash                                      []byte // the previous record's
	boxedHash                                 any    // and its interface
}

// boxed is a string and its interface.
type boxed struct {
	s string
	v any
}

func (b *boxed) of(s string) any {
	if b.v == nil || b.s != s {
		b.s, b.v = s, s
	}
	return b.v
}

// of returns the arguments of the INSERT of recs, which follow the records
// of the previous call, if any. recs must be numbered one after the other,
// as AppendAudit numbers them: the INSERT computes their seq.
func (a *auditArgs) of(recs []storage.AuditRecord) ([]any, error) {
	args := make([]any, 0, 1+len(recs)*(len(auditCols)-1))
	args = append(args, recs[0].Seq)
	for i := range recs {
		r := &recs[i]
		if r.Seq != recs[0].Seq+int64(i) {
			return nil, errors.New("audit records out of sequence")
		}
		prev := a.boxedHash
		if prev == nil || !bytes.Equal(r.PrevHash, a.hash) {
			prev = notNil(r.PrevHash)
		}
		a.hash, a.boxedHash = r.Hash, r.Hash
		args = append(args, At(r.Time), a.typ.of(r.Type), a.subject.of(r.Subject), a.client.of(r.ClientID),
			a.server.of(r.Server), a.name.of(r.Name), r.Payload, a.keyID.of(r.KeyID), prev, a.boxedHash)
	}
	return args, nil
}

// notNil is b, or empty rather than nil: prev_hash is NOT NULL, and the
// first record's is empty.
func notNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// ListAudit returns the records f selects, in sequence order.
func (s *Store) ListAudit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditRecord, error) {
	query, args := auditQuery(f)
	rows, err := s.e.Read.Query(ctx, query, args...)
	recs, err := collect(rows, err, func(r Row) (storage.AuditRecord, error) {
		var a storage.AuditRecord
		err := r.Scan(&a.Seq, timeCol{&a.Time}, &a.Type, &a.Subject, &a.ClientID, &a.Server, &a.Name,
			blobCol{&a.Payload}, &a.KeyID, blobCol{&a.PrevHash}, blobCol{&a.Hash})
		return a, err
	})
	if err != nil {
		return nil, s.errorf("list audit: %w", err)
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
		add("time >=", At(f.From))
	}
	if !f.To.IsZero() {
		add("time <", At(f.To))
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
