package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
)

// maxAttempts bounds how often a transaction is run when PostgreSQL aborts it
// for a serialization failure or a deadlock; both mean "try again", and a
// retry normally succeeds at once.
const maxAttempts = 5

// txOptions: every transaction runs at READ COMMITTED, whatever the
// database's default. Each read-modify-write locks the rows it reads (SELECT
// ... FOR UPDATE, or a conditional UPDATE or INSERT ... ON CONFLICT), which
// is what makes it atomic across replicas; none needs SERIALIZABLE, so none
// pays for its false conflicts.
var txOptions = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}

// inTx runs fn in a transaction and commits if fn returns nil, running it
// again (up to maxAttempts in all) when PostgreSQL reports a serialization
// failure or a deadlock. fn's error is returned as it is, so sentinels and
// callers' errors pass through; a *sqlstore.CallerError is never retried.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, fn)
		if _, ok := errors.AsType[*sqlstore.CallerError](err); ok {
			return err
		}
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		s.retries.Add(1)
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, txOptions)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	// A no-op after Commit. On any other return it ends the transaction and
	// gives the connection back; with ctx done, pgx closes the connection
	// instead of waiting, so a dead server cannot hold us here.
	defer func() { _ = tx.Rollback(ctx) }()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// retryable reports a serialization failure (40001) or a deadlock (40P01):
// PostgreSQL rolled the transaction back, and running it again is safe.
func retryable(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// backoff waits a little before the next attempt, with jitter so that the
// transactions that collided do not collide again.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(1<<attempt) * time.Millisecond
	d += rand.N(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// querier runs the shared store's SQL (sqlstore.Querier) on the pool or a
// transaction.
type querier struct {
	db interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
}

func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.db.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return q.db.Query(ctx, query, args...)
}

func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return pgRow{q.db.QueryRow(ctx, query, args...)}
}

// pgRow turns "no row" into the storage sentinel.
type pgRow struct{ row pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.ErrNotFound
	}
	return err
}
