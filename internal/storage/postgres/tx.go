package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
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
// callers' errors pass through; an error wrapped by callerError is never
// retried and comes back unwrapped.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.tryTx(ctx, fn)
		if ce, ok := errors.AsType[*callerError](err); ok {
			return ce.err
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

// callerError marks an error that came from code the caller gave us (an
// Update fn, Rotation.Check): it ends the transaction at once, with no retry,
// and is returned unchanged.
type callerError struct{ err error }

func (e *callerError) Error() string { return e.err.Error() }
func (e *callerError) Unwrap() error { return e.err }

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

// querier is what both the pool and a transaction offer, so that one read
// helper serves plain reads and reads inside a write.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// scanner is a pgx.Row or pgx.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// collect reads every row of a query with scan; no rows give nil.
func collect[T any](rows pgx.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// notFound turns "no row" into the storage sentinel.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return storage.ErrNotFound
	}
	return err
}

// inserted checks an INSERT ... ON CONFLICT DO NOTHING: no row means the key
// was taken.
func inserted(tag pgconn.CommandTag, err error) error {
	return affected(tag, err, storage.ErrAlreadyExists)
}

// deleted checks a DELETE or UPDATE by key: no row means there was none.
func deleted(tag pgconn.CommandTag, err error) error {
	return affected(tag, err, storage.ErrNotFound)
}

func affected(tag pgconn.CommandTag, err error, none error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return none
	}
	return nil
}

// columns is a table's column list, key first, in the order of its args and
// scan functions, so that the SQL is written from one list. Placeholders
// follow the list ($1 is the key), so inserts and updates take the same args.
type columns []string

func (c columns) names() string { return strings.Join(c, ", ") }

func (c columns) params() string {
	ps := make([]string, len(c))
	for i := range c {
		ps[i] = "$" + strconv.Itoa(i+1)
	}
	return strings.Join(ps, ", ")
}

// insert is an INSERT that leaves an existing row alone, for inserted.
func (c columns) insert(table string) string {
	return "INSERT INTO " + table + " (" + c.names() + ") VALUES (" + c.params() +
		") ON CONFLICT (" + c[0] + ") DO NOTHING"
}

// update sets every column but the key from the same args as insert.
func (c columns) update(table string) string {
	sets := make([]string, 0, len(c)-1)
	for i, name := range c[1:] {
		sets = append(sets, name+" = $"+strconv.Itoa(i+2))
	}
	return "UPDATE " + table + " SET " + strings.Join(sets, ", ") + " WHERE " + c[0] + " = $1"
}

func (c columns) selectFrom(table string) string {
	return "SELECT " + c.names() + " FROM " + table
}
