package stdio

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// The Go SDK's conformance fixture, run as a stdio backend (without -http
// it speaks stdio): a smoke test with a server the bridge's authors did
// not write.
func TestEverythingServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the SDK's conformance server")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	bin := filepath.Join(t.TempDir(), "everything-server")
	build := exec.Command(gobin, "build", "-o", bin, "github.com/modelcontextprotocol/go-sdk/conformance/everything-server")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		mode    Mode
		version string // what the client ends up speaking
	}{
		{PerSession, "2025-11-25"}, // 2026-07-28 refused, session fallback
		{Shared, "2026-07-28"},     // sessionless, via the stateless process
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			h := newHarness(t, func(o *Options) {
				o.Name, o.Command, o.Env, o.Mode = "everything", []string{bin}, nil, tc.mode
			})
			cs := h.connect(t, "", nil)
			if got := cs.InitializeResult().ProtocolVersion; got != tc.version {
				t.Errorf("negotiated %q, want %q", got, tc.version)
			}
			tools, err := cs.ListTools(testContext(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(tools.Tools) < 5 {
				t.Errorf("tools/list returned %d tools", len(tools.Tools))
			}
			if got := callText(t, cs, "test_simple_text", map[string]any{}); got == "" {
				t.Error("empty test_simple_text result")
			}
		})
	}
}
