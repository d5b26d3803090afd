package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
)

// inTx runs fn in a write transaction and commits if fn returns nil (in a
// batch: group.go). fn's error is returned as it is, so sentinels and
// callers' errors pass through.
func (s *Store) inTx(ctx context.Context, fn func(execer) error) error {
	return s.commits.do(ctx, fn)
}

// grouped runs a write statement outside a transaction (Engine.Write) as
// a transaction of its own, in the committer's batches. A query that
// returns rows runs on the write connection between batches, as nothing in
// the shared store writes with one.
type grouped struct{ s *Store }

func (g grouped) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var n rowsAffected
	err := g.s.inTx(ctx, func(tx execer) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err == nil {
			// Read while the batch holds the connection, not after.
			var affected int64
			affected, err = res.RowsAffected()
			n = rowsAffected(affected)
		}
		return err
	})
	return n, err
}

// rowsAffected is the result of a grouped statement: the shared store
// asks only how many rows it changed.
type rowsAffected int64

func (n rowsAffected) RowsAffected() (int64, error) { return int64(n), nil }

func (rowsAffected) LastInsertId() (int64, error) {
	return 0, errors.New("sqlite: LastInsertId is not kept for grouped statements")
}

func (g grouped) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return cached{g.s.writeStmts}.QueryContext(ctx, query, args...)
}

func (g grouped) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return cached{g.s.writeStmts}.QueryRowContext(ctx, query, args...)
}

// inTx runs fn in a transaction of its own on db (migrations, before the
// committer starts).
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	// A no-op after Commit; otherwise it frees the only write connection even
	// when fn panics.
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// querier runs the shared store's SQL (sqlstore.Querier) on a pool or a
// transaction.
type querier struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	query, args = rebind(query, args)
	res, err := q.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	query, args = rebind(query, args)
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	query, args = rebind(query, args)
	return sqlRow{q.db.QueryRowContext(ctx, query, args...)}
}

// sqlRow turns "no row" into the storage sentinel.
type sqlRow struct{ row *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	return err
}

// sqlRows closes without an error: what went wrong while reading is Err's.
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }
