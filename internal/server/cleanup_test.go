package server

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCleanupClosesLastOpenedFirstAndEverything(t *testing.T) {
	var closed []string
	step := func(name string, err error) func() error {
		return func() error { closed = append(closed, name); return err }
	}
	var c cleanup
	c.add("store", step("store", nil))
	c.add("audit file", step("audit file", errors.New("disk full")))
	c.add("redis client", step("redis client", nil))
	c.add("bridges", step("bridges", errors.New("still running")))
	if got, want := c.names(), []string{"bridges", "redis client", "audit file", "store"}; !slices.Equal(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
	err := c.close()
	if want := []string{"bridges", "redis client", "audit file", "store"}; !slices.Equal(closed, want) {
		t.Errorf("closed %v, want %v (the last opened first, every one even after a failure)", closed, want)
	}
	for _, want := range []string{"closing bridges: still running", "closing audit file: disk full"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("close() = %v, want it to report %q", err, want)
		}
	}
	closed = nil
	if err := c.close(); err != nil || len(closed) != 0 {
		t.Errorf("a second close ran %v, %v; want nothing", closed, err)
	}
}
