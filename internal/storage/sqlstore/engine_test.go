package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestInTx: a caller's error comes back unchanged, however the engine
// wrapped it; every other error comes back as the engine returned it.
func TestInTx(t *testing.T) {
	mine := errors.New("from the caller")
	theirs := errors.New("deadlock")
	for _, tc := range []struct {
		name   string
		engine func(err error) error // what InTx makes of fn's error
		fnErr  error
		want   error
	}{
		{"success", func(err error) error { return err }, nil, nil},
		{"a caller's error", func(err error) error { return err }, &CallerError{mine}, mine},
		{"a caller's error, wrapped", func(err error) error { return fmt.Errorf("begin: %w", err) }, &CallerError{mine}, mine},
		{"the engine's error", func(error) error { return theirs }, nil, theirs},
		{"fn's own error", func(err error) error { return err }, theirs, theirs},
	} {
		s := New(Engine{InTx: func(_ context.Context, fn func(Querier) error) error { return tc.engine(fn(nil)) }})
		if got := s.inTx(t.Context(), func(Querier) error { return tc.fnErr }); got != tc.want {
			t.Errorf("%s: inTx = %v, want %v", tc.name, got, tc.want)
		}
	}
}
