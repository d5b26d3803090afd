package sqlstore

import (
	"context"
	"errors"
	"fmt"
)

// Querier runs SQL on a connection pool or in a transaction, of either
// driver. Placeholders are numbered, $1 for the first argument: PostgreSQL
// takes nothing else, and SQLite binds $N to the Nth argument too.
type Querier interface {
	// Exec runs a statement and says how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Query runs a query; the caller closes the rows.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a query for one row, whose Scan gives
	// storage.ErrNotFound when there is none.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Row is one row of a query.
type Row interface {
	Scan(dest ...any) error
}

// Rows are the rows of a query, read with Next and Scan.
type Rows interface {
	Row
	Next() bool
	Err() error
	Close()
}

// Engine is what a backend tells the shared store about its database: where
// to send reads and writes, how it runs a transaction, and the few places
// where its SQL differs.
type Engine struct {
	// Name begins every error message: "sqlite", "postgres".
	Name string
	// Read runs plain reads and Write single statements that write. SQLite
	// reads from read-only connections beside its one writer; PostgreSQL
	// uses one pool for both.
	Read, Write Querier
	// InTx runs fn in a write transaction and commits if fn returns nil,
	// returning fn's error as it is. What fn reads it may rely on until the
	// commit: SQLite's transactions begin IMMEDIATE and hold the database's
	// one write lock throughout, PostgreSQL's lock the rows read with
	// ForUpdate. InTx may run fn again after a failure the engine calls
	// transient (a deadlock), but never after a *CallerError.
	InTx func(ctx context.Context, fn func(Querier) error) error
	// ForUpdate ends a SELECT of rows that the transaction goes on to
	// change: " FOR UPDATE" where rows are locked one by one, "" where the
	// transaction holds the whole database already.
	ForUpdate string
	// AuditLock, if not empty, is the statement that begins an audit
	// append, taking a lock that makes appends run one at a time; an engine
	// whose write transactions run one at a time needs none.
	AuditLock string
	// List encodes a list of strings as a column value, and ScanList is the
	// scan destination that decodes one into dst, an empty list as nil.
	List     func(v []string) any
	ScanList func(dst *[]string) any
}

// Store implements every method of storage.Store whose SQL both engines
// share. A backend embeds it and adds the rest: Ping, Close and
// DeleteExpired.
type Store struct {
	e Engine
}

// New returns the shared store over e.
func New(e Engine) *Store { return &Store{e: e} }

// errorf formats an error that begins with the engine's name.
func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf(s.e.Name+": "+format, args...)
}

// inTx runs fn in a write transaction (Engine.InTx), and returns a caller's
// error unwrapped.
func (s *Store) inTx(ctx context.Context, fn func(Querier) error) error {
	err := s.e.InTx(ctx, fn)
	if ce, ok := errors.AsType[*CallerError](err); ok {
		return ce.Err
	}
	return err
}

// CallerError marks an error that came from code the caller gave the store
// (an Update's fn, Rotation.Check): it ends the transaction at once, is
// never retried, and reaches the caller unchanged.
type CallerError struct{ Err error }

func (e *CallerError) Error() string { return e.Err.Error() }
func (e *CallerError) Unwrap() error { return e.Err }
