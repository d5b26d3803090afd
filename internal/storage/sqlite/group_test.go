package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// batch holds the committer with a transaction that waits, queues one
// write transaction per fn, and releases the lot, so that they run in one
// batch. It returns each fn's error, and what re-raised a panic.
func batch(t *testing.T, s *Store, fns ...func(ctx context.Context, tx execer) error) (errs []error, panics []any) {
	t.Helper()
	release, held := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- s.inTx(context.Background(), func(execer) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	errs, panics = make([]error, len(fns)), make([]any, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ctx = context.WithValue(ctx, cancelKey{}, cancel)
			errs[i] = s.inTx(ctx, func(tx execer) error { return fn(ctx, tx) })
		})
	}
	for s.commits.queued() < len(fns) {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	return errs, panics
}

type cancelKey struct{}

// insert is a member that stores key in the once table.
func insert(key string) func(context.Context, execer) error {
	return func(ctx context.Context, tx execer) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO once (key, expires_at) VALUES (?, 1)`, key)
		return err
	}
}

// stored reports which of keys are stored.
func stored(t *testing.T, s *Store, keys ...string) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	for _, key := range keys {
		var n int
		if err := s.read.QueryRowContext(t.Context(), `SELECT count(*) FROM once WHERE key = ?`, key).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			got[key] = true
		}
	}
	return got
}

func (c *committer) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// TestGroupCommitMembers: transactions committed together stay apart: the
// failure of one undoes its own changes only, as its own rollback would,
// a panic is raised in its caller and undone the same way, and a caller's
// context ending while its statements run does not interrupt them (in
// SQLite that would roll the whole batch back).
func TestGroupCommitMembers(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "drawbridge.db"))
	defer s.Close()
	if err := s.inTx(t.Context(), func(tx execer) error { return insert("z")(t.Context(), tx) }); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused")
	errs, panics := batch(t, s,
		insert("a"),
		func(ctx context.Context, tx execer) error {
			if err := insert("b")(ctx, tx); err != nil {
				return err
			}
			return refused
		},
		func(ctx context.Context, tx execer) error {
			if err := insert("c")(ctx, tx); err != nil {
				return err
			}
			panic("member c")
		},
		func(ctx context.Context, tx execer) error {
			ctx.Value(cancelKey{}).(context.CancelFunc)()
			return insert("d")(ctx, tx)
		},
		insert("z"), // taken: a constraint error, undone alone
	)
	if errs[0] != nil || errs[3] != nil {
		t.Errorf("the members that succeeded: errors %v, %v", errs[0], errs[3])
	}
	if !errors.Is(errs[1], refused) {
		t.Errorf("the refused member: error %v, want its own", errs[1])
	}
	if panics[2] != "member c" {
		t.Errorf("the panicking member's caller got panic %v", panics[2])
	}
	if errs[4] == nil {
		t.Error("a duplicate insert succeeded")
	}
	want := map[string]bool{"a": true, "d": true}
	if got := stored(t, s, "a", "b", "c", "d"); len(got) != len(want) || !got["a"] || !got["d"] {
		t.Errorf("stored %v, want %v", got, want)
	}
}

// TestGroupCommitFailedBatch: when the batch's transaction is lost (here a
// member ends it itself; in life an I/O error), no member's change is
// kept, and every member is told so, including those that succeeded
// before: nobody may act on a change that is not on disk.
func TestGroupCommitFailedBatch(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "drawbridge.db"))
	defer s.Close()
	errs, _ := batch(t, s,
		insert("a"),
		func(ctx context.Context, tx execer) error {
			if err := insert("b")(ctx, tx); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `ROLLBACK`)
			return err
		},
		insert("c"),
	)
	for i, err := range errs {
		if err == nil {
			t.Errorf("member %d of a lost batch: no error", i)
		}
	}
	if got := stored(t, s, "a", "b", "c"); len(got) != 0 {
		t.Errorf("stored %v of a lost batch, want none", got)
	}
	// The next transaction runs as usual.
	if err := s.inTx(t.Context(), func(tx execer) error { return insert("e")(t.Context(), tx) }); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, s, "e"); !got["e"] {
		t.Error("the transaction after a lost batch was not stored")
	}
}

// TestGroupCommitAbandoned: a caller whose context ends while it waits in
// the queue leaves it, and its transaction never runs.
func TestGroupCommitAbandoned(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "drawbridge.db"))
	defer s.Close()
	release, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.inTx(context.Background(), func(execer) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	ctx, cancel := context.WithCancel(t.Context())
	ran := false
	done := make(chan error)
	go func() {
		done <- s.inTx(ctx, func(execer) error { ran = true; return nil })
	}()
	for s.commits.queued() < 1 {
		runtime.Gosched()
	}
	cancel()
	err := <-done
	close(release)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("abandoned transaction: error %v, want context.Canceled", err)
	}
	// A transaction after it runs once the holder is done, and so after
	// the abandoned one would have.
	if err := s.inTx(t.Context(), func(execer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Error("the abandoned transaction ran")
	}
}

// TestGroupCommitClose: Close runs what is queued and refuses the rest.
func TestGroupCommitClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drawbridge.db")
	s := open(t, path)
	release, held := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.inTx(context.Background(), func(execer) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	queued := make(chan error)
	go func() { queued <- s.inTx(t.Context(), func(tx execer) error { return insert("a")(t.Context(), tx) }) }()
	for s.commits.queued() < 1 {
		runtime.Gosched()
	}
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	for !s.commits.isClosed() {
		runtime.Gosched()
	}
	if err := s.inTx(t.Context(), func(execer) error { return nil }); !errors.Is(err, errClosed) {
		t.Errorf("a transaction after Close: error %v, want errClosed", err)
	}
	close(release)
	if err := <-queued; err != nil {
		t.Errorf("the transaction queued before Close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	if got := stored(t, s, "a"); !got["a"] {
		t.Error("the transaction queued before Close was not stored")
	}
}

func (c *committer) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}
