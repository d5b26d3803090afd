package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// inTx runs fn in a write transaction and commits if fn returns nil. fn's
// error is returned as it is, so sentinels and callers' errors pass through.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return inTx(ctx, s.write, fn)
}

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

// querier is what both a pool and a transaction offer, so that one read
// helper serves plain reads and reads inside a write.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// collect reads every row of a query with scan.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
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
	if errors.Is(err, sql.ErrNoRows) {
		return storage.ErrNotFound
	}
	return err
}

// inserted checks an INSERT ... ON CONFLICT DO NOTHING: no row means the key
// was taken.
func inserted(res sql.Result, err error) error {
	return affected(res, err, storage.ErrAlreadyExists)
}

// deleted checks a DELETE or UPDATE by key: no row means there was none.
func deleted(res sql.Result, err error) error {
	return affected(res, err, storage.ErrNotFound)
}

func affected(res sql.Result, err error, none error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return none
	}
	return nil
}

// columns is a table's column list, key first, in the order of its args and
// scan functions, so that the SQL is written from one list.
type columns []string

func (c columns) names() string { return strings.Join(c, ", ") }

func (c columns) params() string {
	return strings.TrimSuffix(strings.Repeat("?, ", len(c)), ", ")
}

// insert is an INSERT that leaves an existing row alone, for inserted.
func (c columns) insert(table string) string {
	return "INSERT INTO " + table + " (" + c.names() + ") VALUES (" + c.params() +
		") ON CONFLICT (" + c[0] + ") DO NOTHING"
}

// update sets every column but the key; its args are all but the first,
// followed by the key.
func (c columns) update(table string) string {
	return "UPDATE " + table + " SET " + strings.Join(c[1:], " = ?, ") + " = ? WHERE " + c[0] + " = ?"
}

func (c columns) selectFrom(table string) string {
	return "SELECT " + c.names() + " FROM " + table
}

// updateArgs reorders insert args (key first) for update (key last).
func updateArgs(args []any) []any {
	return append(append([]any(nil), args[1:]...), args[0])
}
