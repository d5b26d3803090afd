package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// Group commit. SQLite has one writer, and with synchronous=FULL each
// commit waits for the disk (an fsync of the WAL, about a millisecond on
// the benchmark's machine, far more than the statements themselves). Write
// transactions that arrive while one is committing therefore wait in a
// queue, and the committer runs all of them, in arrival order, inside one
// SQLite transaction and commits them together: one fsync for the lot.
//
// Each member of a batch runs inside a savepoint of its own, so that its
// error undoes its own changes only, exactly as its own transaction's
// rollback would have: the others commit. What a member reads it may rely
// on until the commit, as before, since the batch holds the write lock
// throughout and the members run one at a time. A member learns its result
// only once the batch is committed, so nobody is told of a change that is
// not on disk, and nobody acts on another member's change that a failed
// commit undid: when the commit (or a savepoint) fails, every member of
// the batch gets that error. Durability is unchanged: synchronous=FULL,
// and a call returns after the commit that holds its changes.

// maxBatch bounds a batch, so that a long queue is committed in steps and
// the first members need not wait for the last.
const maxBatch = 64

// errClosed: the store was closed before the transaction could run.
var errClosed = errors.New("sqlite: store closed")

// committer runs the store's write transactions on its one write
// connection, in batches.
type committer struct {
	db    *sql.DB
	stmts *stmtCache    // db's prepared statements, which members reuse
	wake  chan struct{} // a token: the queue may have members
	done  chan struct{} // closed when run returns

	mu      sync.Mutex
	pending []*member
	closed  bool
}

// member is one write transaction in the queue.
type member struct {
	ctx context.Context
	fn  func(execer) error
	// claimed: taken into a batch (under committer.mu); a claimed member
	// runs to the end of its batch, and its caller waits for it.
	claimed bool
	err     error
	panic   any
	done    chan struct{}
}

func newCommitter(db *sql.DB, stmts *stmtCache) *committer {
	c := &committer{db: db, stmts: stmts, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// do runs fn in a write transaction, in the next batch. A caller whose ctx
// ends while it waits in the queue leaves it with ctx's error, and fn never
// runs; once its batch has taken it, fn runs and do waits for the commit.
// fn's statements run without ctx's cancellation, which in SQLite would
// interrupt a statement and roll back the whole batch.
func (c *committer) do(ctx context.Context, fn func(execer) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m := &member{ctx: ctx, fn: fn, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errClosed
	}
	c.pending = append(c.pending, m)
	c.mu.Unlock()
	c.signal()
	select {
	case <-m.done:
	case <-ctx.Done():
		if c.abandon(m) {
			return ctx.Err()
		}
		<-m.done
	}
	if m.panic != nil {
		panic(m.panic)
	}
	return m.err
}

// abandon takes m out of the queue if no batch has claimed it yet.
func (c *committer) abandon(m *member) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.claimed {
		return false
	}
	for i, p := range c.pending {
		if p == m {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			break
		}
	}
	return true
}

func (c *committer) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// close runs what is queued, refuses what comes later, and stops.
func (c *committer) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.signal()
	<-c.done
}

func (c *committer) run() {
	defer close(c.done)
	for {
		batch, closed := c.take()
		if len(batch) > 0 {
			c.commit(batch)
			continue
		}
		if closed {
			return
		}
		<-c.wake
	}
}

// take claims the next batch from the queue.
func (c *committer) take() ([]*member, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(len(c.pending), maxBatch)
	batch := make([]*member, n)
	copy(batch, c.pending)
	for _, m := range batch {
		m.claimed = true
	}
	c.pending = append(c.pending[:0], c.pending[n:]...)
	return batch, c.closed
}

// commit runs a batch and tells each member its result. Then, with the
// connection free, it prepares the statements the batch ran unprepared,
// for the next batches.
func (c *committer) commit(batch []*member) {
	var unprepared []string
	if err := c.runBatch(batch, &unprepared); err != nil {
		for _, m := range batch {
			m.err = err
		}
	}
	for _, m := range batch {
		close(m.done)
	}
	for _, q := range unprepared {
		c.stmts.get(context.Background(), q)
	}
}

// runBatch runs the members in one transaction and commits it. A batch of
// one is a plain transaction; larger ones give each member a savepoint.
// The error returned is the batch's, which every member gets instead of
// its own.
func (c *committer) runBatch(batch []*member, unprepared *[]string) error {
	ctx := context.Background()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	// A no-op after Commit; otherwise it frees the write connection.
	defer func() { _ = tx.Rollback() }()
	e := execer{tx: tx, stmts: c.stmts, unprepared: unprepared}
	if len(batch) == 1 {
		if m := batch[0]; !m.run(e) {
			return m.err // nothing to commit: the rollback above
		}
	} else {
		for _, m := range batch {
			if err := runSavepoint(ctx, e, m); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// runSavepoint runs m inside a savepoint, undoing its changes if it fails.
// An error here is the batch's: SQLite may have rolled the whole
// transaction back (after an I/O error, say), and then the savepoint is
// gone and nothing of the batch may be committed.
func runSavepoint(ctx context.Context, e execer, m *member) error {
	if _, err := e.ExecContext(ctx, `SAVEPOINT member`); err != nil {
		return fmt.Errorf("sqlite: savepoint: %w", err)
	}
	if !m.run(e) {
		if _, err := e.ExecContext(ctx, `ROLLBACK TO member`); err != nil {
			return fmt.Errorf("sqlite: rollback to savepoint: %w", err)
		}
	}
	if _, err := e.ExecContext(ctx, `RELEASE member`); err != nil {
		return fmt.Errorf("sqlite: release savepoint: %w", err)
	}
	return nil
}

// run calls the member's fn and reports whether it succeeded. A panic is
// caught, undone like an error, and raised again in the caller's goroutine.
func (m *member) run(e execer) (ok bool) {
	if err := m.ctx.Err(); err != nil {
		m.err = err
		return false
	}
	defer func() {
		if p := recover(); p != nil {
			m.panic, ok = p, false
		}
	}()
	m.err = m.fn(e)
	return m.err == nil
}

// execer runs a member's statements in the batch's transaction, without
// the cancellation of the context they are given (see committer.do). It
// runs a statement the pool has prepared as that (the connection keeps
// it), and notes the others, for commit to prepare: a write transaction
// holds the one write connection, so it cannot prepare a pool statement.
type execer struct {
	tx         *sql.Tx
	stmts      *stmtCache
	unprepared *[]string
}

func (e execer) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := e.stmts.lookup(query); st != nil {
		return e.tx.StmtContext(ctx, st)
	}
	*e.unprepared = append(*e.unprepared, query)
	return nil
}

func (e execer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if st := e.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return e.tx.ExecContext(ctx, query, args...)
}

func (e execer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if st := e.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return e.tx.QueryContext(ctx, query, args...)
}

func (e execer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if st := e.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return e.tx.QueryRowContext(ctx, query, args...)
}
