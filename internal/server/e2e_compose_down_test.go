package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/server"
)

// TestComposedServerStartsWithMemberDown: a member that does not answer
// at start is a warning, not a failure: the server starts with the
// members that answer.
func TestComposedServerStartsWithMemberDown(t *testing.T) {
	a := startMember(t, "a", "search")
	cfg := composedConfig(t, fmt.Sprintf(`      - {name: alpha, upstream: %q}
      - {name: gone, upstream: "http://127.0.0.1:1/mcp"}
`, a.URL))
	srv, err := server.New(context.Background(), cfg, server.Options{})
	if err != nil {
		t.Fatalf("a member down stopped the start: %v", err)
	}
	_ = srv.Close()
}
