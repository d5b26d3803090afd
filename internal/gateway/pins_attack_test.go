package gateway

import (
	"fmt"
	"slices"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/pinning"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/rugpull"
)

// TestPinningCallUnderPaddedNames is the attacker who calls the changed
// tool under its name padded with white space (ASCII or Unicode): a
// server that trims names (Python's str.strip) runs the changed tool, so
// none of it may reach the server. Control characters are refused before
// (jsonrpc's read_test).
func TestPinningCallUnderPaddedNames(t *testing.T) {
	srv := &rugpull.Server{}
	srv.Set(saveTool, getTool)
	p := newPinned(t, srv, pinning.Settings{Mode: pinning.Hide}, false)
	p.list("")
	srv.Set(poisonedSave, getTool)
	p.list("")
	for _, name := range []string{" save", "save ", "sa ve", "save\u00a0", "save\u3000", "save\u2028", "\u2003save"} {
		status, a := p.call(name, nil)
		wantRefused(t, fmt.Sprintf("call to %q", name), status, a, fmt.Sprintf("tool %q changed since it was approved; an administrator must review it", name))
	}
	if got := srv.Called(); len(got) != 0 {
		t.Errorf("calls that reached the server: %q, want none", got)
	}
	// The real tools are still told apart.
	status, a := p.call("get", nil)
	wantRan(t, "call to get", status, a)
	if got := srv.Called(); !slices.Equal(got, []string{"get"}) {
		t.Errorf("calls that reached the server: %q, want only get", got)
	}
}
