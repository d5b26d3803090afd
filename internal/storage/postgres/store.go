package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
)

var _ storage.Store = (*Store)(nil)

// Options tunes the connection pool. A zero field takes the default written
// next to it; pool settings in the DSN (pool_max_conns and the like) are
// overridden by these, so that there is one place to set them.
type Options struct {
	// MaxConns bounds the connections one Drawbridge opens; default 16.
	// Replicas × MaxConns must stay under the server's max_connections.
	MaxConns int32
	// MinConns is how many connections are kept open when idle; default 0,
	// so that an idle replica holds none.
	MinConns int32
	// MaxConnLifetime closes a connection this long after it was opened
	// (with up to 10% jitter, so they do not all go at once), so that
	// failovers and DNS changes are picked up; default 30 minutes.
	MaxConnLifetime time.Duration
	// MaxConnIdleTime closes a connection idle this long; default 5 minutes.
	MaxConnIdleTime time.Duration
	// HealthCheckPeriod is how often idle connections are checked (and
	// MinConns restored); default 30 seconds.
	HealthCheckPeriod time.Duration
	// ConnectTimeout bounds dialling and authenticating one connection when
	// the DSN has no connect_timeout; default 10 seconds. Every operation is
	// also bounded by its context.
	ConnectTimeout time.Duration
	// PingTimeout bounds the liveness check of a connection that sat idle
	// before it is handed out; default 5 seconds.
	PingTimeout time.Duration
}

func (o Options) withDefaults() Options {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	o.MinConns = max(0, min(o.MinConns, o.MaxConns))
	def(&o.MaxConnLifetime, 30*time.Minute)
	def(&o.MaxConnIdleTime, 5*time.Minute)
	def(&o.HealthCheckPeriod, 30*time.Second)
	def(&o.ConnectTimeout, 10*time.Second)
	def(&o.PingTimeout, 5*time.Second)
	return o
}

// Store is a storage.Store in a PostgreSQL database. It is safe for
// concurrent use, and any number of Stores, in any number of processes, may
// share one database. The shared SQL store does most of the work; Store
// gives it the pool and its locking, and adds what is PostgreSQL's own
// (connecting, migrating under an advisory lock, DeleteExpired).
type Store struct {
	*sqlstore.Store
	pool *pgxpool.Pool
	// retries counts transactions run again after a deadlock or a
	// serialization failure; the lock order makes them rare, and tests
	// check that the common races cause none.
	retries atomic.Int64
}

// Open connects to the database that dsn names (a postgres:// URL or
// key=value pairs, as libpq takes them), brings its schema up to date and
// checks that it answers. It fails, rather than waits, when the server cannot
// be reached within ctx or the connect timeout. The DSN is not repeated in
// errors: it may hold a password.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := poolConfig(dsn, opts.withDefaults())
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool}
	s.Store = sqlstore.New(s.engine())
	if err := s.Ping(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	if err := s.migrate(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// engine describes PostgreSQL to the shared store. Transactions run at READ
// COMMITTED (txOptions) and lock the rows they read to change with SELECT
// ... FOR UPDATE, which is what makes a read-then-write atomic across
// replicas; audit appends take a transaction-scoped advisory lock, since
// the row they append after is not theirs to lock.
func (s *Store) engine() sqlstore.Engine {
	return sqlstore.Engine{
		Name:  "postgres",
		Read:  querier{s.pool},
		Write: querier{s.pool},
		InTx: func(ctx context.Context, fn func(sqlstore.Querier) error) error {
			return s.inTx(ctx, func(tx pgx.Tx) error { return fn(querier{tx}) })
		},
		ForUpdate: " FOR UPDATE",
		AuditLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", auditLockKey),
		List:      list,
		ScanList:  scanList,
	}
}

func poolConfig(dsn string, o Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn's parse errors redact passwords, but name no more than
		// needed: the DSN came from configuration the operator can read.
		return nil, fmt.Errorf("postgres: parse DSN: %w", err)
	}
	cfg.MaxConns, cfg.MinConns = o.MaxConns, o.MinConns
	cfg.MaxConnLifetime, cfg.MaxConnLifetimeJitter = o.MaxConnLifetime, o.MaxConnLifetime/10
	cfg.MaxConnIdleTime, cfg.HealthCheckPeriod = o.MaxConnIdleTime, o.HealthCheckPeriod
	cfg.PingTimeout = o.PingTimeout
	if cfg.ConnConfig.ConnectTimeout <= 0 {
		cfg.ConnConfig.ConnectTimeout = o.ConnectTimeout
	}
	// Names our sessions in pg_stat_activity, unless the DSN named them.
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "drawbridge"
	}
	return cfg, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the pool's connections, waiting for those in use to be
// returned. It always returns nil; a second Close does nothing.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
