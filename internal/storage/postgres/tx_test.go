package postgres

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
)

func TestInTxRetries(t *testing.T) {
	s := open(t, newDatabase(t))
	defer s.Close()
	deadlock := &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	serialization := &pgconn.PgError{Code: "40001", Message: "could not serialize access"}
	other := &pgconn.PgError{Code: "23505", Message: "duplicate key"}
	fromCaller := &sqlstore.CallerError{Err: deadlock}
	for _, tc := range []struct {
		name  string
		fails []error // what the attempts return, in order; then nil
		want  error
		calls int
	}{
		{"deadlock, then success", []error{deadlock}, nil, 2},
		{"serialization failures, then success", []error{serialization, serialization}, nil, 3},
		{"retries run out", []error{deadlock, deadlock, deadlock, deadlock, deadlock, deadlock}, deadlock, maxAttempts},
		{"other errors are not retried", []error{other}, other, 1},
		{"caller errors are not retried", []error{fromCaller}, fromCaller, 1},
	} {
		calls := 0
		err := s.inTx(t.Context(), func(pgx.Tx) error {
			calls++
			if calls <= len(tc.fails) {
				return tc.fails[calls-1]
			}
			return nil
		})
		if err != tc.want || calls != tc.calls {
			t.Errorf("%s: got %v after %d calls, want %v after %d", tc.name, err, calls, tc.want, tc.calls)
		}
	}
}

// TestDeadlockIsRetried makes PostgreSQL itself detect a deadlock between
// two transactions, and checks that inTx runs the aborted one again.
func TestDeadlockIsRetried(t *testing.T) {
	ctx := t.Context()
	s := open(t, newDatabase(t))
	defer s.Close()
	if _, err := s.pool.Exec(ctx, `INSERT INTO once (key, expires_at) VALUES ('a', 0), ('b', 0)`); err != nil {
		t.Fatal(err)
	}
	// Each transaction locks one row, waits for the other to lock its own,
	// then asks for the other's: one of them is chosen as the victim.
	var locked [2]chan struct{}
	for i := range locked {
		locked[i] = make(chan struct{})
	}
	attempts := [2]int{}
	errs := [2]error{}
	done := make(chan int)
	for i, keys := range [2][2]string{{"a", "b"}, {"b", "a"}} {
		go func() {
			errs[i] = s.inTx(ctx, func(tx pgx.Tx) error {
				attempts[i]++
				if _, err := tx.Exec(ctx, `UPDATE once SET expires_at = 1 WHERE key = $1`, keys[0]); err != nil {
					return err
				}
				if attempts[i] == 1 {
					close(locked[i])
					<-locked[1-i]
				}
				_, err := tx.Exec(ctx, `UPDATE once SET expires_at = 2 WHERE key = $1`, keys[1])
				return err
			})
			done <- i
		}()
	}
	<-done
	<-done
	if err := errors.Join(errs[0], errs[1]); err != nil {
		t.Fatalf("inTx with a deadlock: %v", err)
	}
	// Usually the victim runs twice and the other once; but a retry can
	// overtake the other transaction as it wakes and deadlock with it again.
	if n := s.retries.Load(); n < 1 || int64(attempts[0]+attempts[1]) != 2+n {
		t.Errorf("attempts %v, %d retries: want a deadlock victim run again, once per retry", attempts, n)
	}
}
