package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestRefusesToStartWithoutKey(t *testing.T) {
	err := run(t.Context(), []string{"-data", t.TempDir()}, noEnv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no access key") {
		t.Fatalf("run = %v, want a no-key error", err)
	}
}

func TestKeySources(t *testing.T) {
	env := func(k string) string {
		if k == keyEnv {
			return "from-env"
		}
		return ""
	}
	tests := []struct {
		args   []string
		getenv func(string) string
		want   string
	}{
		{nil, env, "from-env"},
		{[]string{"-key", "from-flag"}, env, "from-flag"},
		{[]string{"-insecure-no-key"}, noEnv, ""},
	}
	for _, tt := range tests {
		c, err := parseFlags(tt.args, tt.getenv, io.Discard)
		if err != nil || c.key != tt.want {
			t.Errorf("parseFlags(%q) key = %q, %v; want %q", tt.args, c.key, err, tt.want)
		}
	}
}

func TestMCPURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:7071": "http://127.0.0.1:7071/mcp",
		"0.0.0.0:80":     "http://127.0.0.1:80/mcp",
		"[::]:9":         "http://[::1]:9/mcp",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := mcpURL(a); got != want {
			t.Errorf("mcpURL(%s) = %s, want %s", addr, got, want)
		}
	}
}

// TestRunServesAndStops runs the command as a user would, reads the URL it
// prints, checks the key is enforced, and stops it as Ctrl-C would.
func TestRunServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-data", t.TempDir()},
			func(k string) string { return map[string]string{keyEnv: "cmd-key"}[k] }, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading banner: %v (run: %v)", err, <-done)
	}
	url := strings.Fields(line)[3]
	go io.Copy(io.Discard, out)

	for key, want := range map[string]int{"": http.StatusUnauthorized, "cmd-key": http.StatusOK} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(
			`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2025-03-26")
		if key != "" {
			req.Header.Set("X-Functions-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("key %q: status %d, want %d", key, resp.StatusCode, want)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after interrupt = %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not stop")
	}
}
