package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

var _ storage.Store = (*Store)(nil)

// busyTimeoutMillis bounds how long a connection waits for a lock held by
// another process sharing the file (a second Drawbridge, a backup tool).
const busyTimeoutMillis = "5000"

// Store is a storage.Store in one SQLite file. It is safe for concurrent use.
// The shared SQL store does most of the work; Store gives it the pools and
// adds what is SQLite's own (opening the file, DeleteExpired).
type Store struct {
	*sqlstore.Store
	write *sql.DB // exactly one connection, which commits runs
	// commits runs every write transaction, in batches committed together
	// (group.go): writers queue here, not on SQLITE_BUSY.
	commits *committer
	read    *sql.DB // read-only connections; WAL lets them run beside the writer
	// Each pool's prepared statements. A write transaction holds the one
	// write connection, so it cannot prepare a pool statement: it runs
	// those prepared already and leaves the others to the committer
	// (execer).
	readStmts, writeStmts *stmtCache
}

// Open opens the database at path, creating the file (mode 0600) and its
// directory (mode 0700) when missing, and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := createFile(abs); err != nil {
		return nil, err
	}
	write, err := openPool(abs, writeParams(), 1)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, write); err != nil {
		return nil, errors.Join(err, write.Close())
	}
	read, err := openPool(abs, readParams(), readConns())
	if err != nil {
		return nil, errors.Join(err, write.Close())
	}
	s := &Store{write: write, read: read, readStmts: newStmtCache(read), writeStmts: newStmtCache(write)}
	s.commits = newCommitter(write, s.writeStmts)
	s.Store = sqlstore.New(s.engine())
	if err := s.Ping(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// engine describes SQLite to the shared store. Every write transaction
// begins IMMEDIATE (writeParams), taking the database's one write lock
// before its first read, so nothing it reads can change before it commits:
// no row needs a lock of its own, and audit appends are serialised already.
// A single write statement (Write) is a transaction of its own in the same
// batches.
func (s *Store) engine() sqlstore.Engine {
	return sqlstore.Engine{
		Name:  "sqlite",
		Read:  querier{cached{s.readStmts}},
		Write: querier{grouped{s}},
		InTx: func(ctx context.Context, fn func(sqlstore.Querier) error) error {
			return s.inTx(ctx, func(tx execer) error { return fn(querier{tx}) })
		},
		ForUpdate: "",
		AuditLock: "",
		List:      list,
		ScanList:  scanList,
	}
}

// createFile makes the file before SQLite does, because SQLite would create
// it world-readable; the WAL and shared-memory files copy its mode.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("sqlite: create directory for %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return f.Close()
}

func writeParams() url.Values {
	return url.Values{
		"_busy_timeout": {busyTimeoutMillis},
		"_foreign_keys": {"on"},
		"_journal_mode": {"WAL"},
		// FULL, not NORMAL: a revocation or a consumed code lost to a power
		// cut would be a security regression, not just lost work.
		"_synchronous": {"FULL"},
		"_txlock":      {"immediate"},
	}
}

func readParams() url.Values {
	return url.Values{
		"_busy_timeout": {busyTimeoutMillis},
		"_query_only":   {"on"},
	}
}

func readConns() int {
	return min(max(2, runtime.GOMAXPROCS(0)), 8)
}

func openPool(path string, params url.Values, conns int) (*sql.DB, error) {
	// A file: URI escapes any '?' or '#' in the path, which a plain name
	// would confuse with the start of the parameters.
	dsn := (&url.URL{Scheme: "file", Path: path, RawQuery: params.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns) // opening a connection re-runs the DSN's pragmas
	return db, nil
}

// Ping reports whether both pools can reach the file.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close runs the write transactions already queued, then closes both
// pools; the writer goes last so that it checkpoints the WAL.
func (s *Store) Close() error {
	s.commits.close()
	s.readStmts.close()
	s.writeStmts.close()
	return errors.Join(s.read.Close(), s.write.Close())
}
