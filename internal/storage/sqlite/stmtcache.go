package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// stmtCache keeps the prepared form of each query a pool runs. Without it
// every call parses and plans its SQL again: on the gateway's hot path
// (the tool-pin read of every tools/call) that was most of the read's
// cost. database/sql prepares a cached statement once per connection and
// keeps it, and SQLite re-prepares it by itself after a schema change.
//
// Queries are the shared store's own text, with bounded shapes (see
// rewritten), so the cache is bounded by them; maxStmts is a backstop.
type stmtCache struct {
	db *sql.DB
	m  sync.Map // query → *sql.Stmt
	n  atomic.Int32
}

const maxStmts = 512

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db} }

// get returns the prepared statement for query, preparing it on first use;
// nil when it cannot (then the caller runs the query unprepared and gets
// SQLite's own error, if any).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if v, ok := c.m.Load(query); ok {
		return v.(*sql.Stmt)
	}
	if c.n.Load() >= maxStmts {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if v, loaded := c.m.LoadOrStore(query, st); loaded {
		_ = st.Close()
		return v.(*sql.Stmt)
	}
	c.n.Add(1)
	return st
}

// lookup returns the prepared statement for query, or nil if there is
// none yet; it never prepares.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	if v, ok := c.m.Load(query); ok {
		return v.(*sql.Stmt)
	}
	return nil
}

// close closes every statement, before the pool closes.
func (c *stmtCache) close() {
	c.m.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close()
		c.m.Delete(k)
		return true
	})
}

// cached runs queries on a pool through its statement cache.
type cached struct{ c *stmtCache }

func (p cached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.c.get(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.c.db.ExecContext(ctx, query, args...)
}

func (p cached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.c.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.c.db.QueryContext(ctx, query, args...)
}

func (p cached) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.c.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.c.db.QueryRowContext(ctx, query, args...)
}
