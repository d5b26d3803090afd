package requestid

import (
	"context"
	"testing"
)

type otherKey struct{}

// TestWith: the id and its header value come back from the context With
// returns; the parent's values, deadline and cancellation pass through it.
func TestWith(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "kept"))
	ctx := With(parent, "req-1")
	if got := From(ctx); got != "req-1" {
		t.Errorf("From: %q", got)
	}
	if h := HeaderValue(ctx); len(h) != 1 || h[0] != "req-1" {
		t.Errorf("HeaderValue: %q", h)
	}
	if v := ctx.Value(otherKey{}); v != "kept" {
		t.Errorf("the parent's value: %v", v)
	}
	// A context made under it is cancelled with the parent.
	child, stop := context.WithCancel(ctx)
	defer stop()
	cancel()
	<-child.Done()
	if ctx.Err() != context.Canceled {
		t.Errorf("Err after the parent's cancel: %v", ctx.Err())
	}
	// An inner id hides an outer one; none gives "" and nil.
	if got := From(With(ctx, "req-2")); got != "req-2" {
		t.Errorf("inner id: %q", got)
	}
	if From(context.Background()) != "" || HeaderValue(context.Background()) != nil {
		t.Error("an id from a context without one")
	}
}
