package snippets_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/examples/snippets"
)

func TestSnippetsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	const content = "kept across restarts\n"

	first, err := snippets.New(snippets.Options{DataDir: dir, Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptestServe(t, first)
	cs := connect(t, ts, nil)
	if msg, isErr := call(t, cs, "save_snippet", map[string]any{"snippetname": "durable", "snippet": content}); isErr {
		t.Fatal(msg)
	}
	cs.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	ts.Close()

	// A new server, as after a process restart, sees only the directory.
	cs = connect(t, startServer(t, snippets.Options{DataDir: dir}), nil)
	if got, isErr := call(t, cs, "get_snippet", map[string]any{"snippetname": "durable"}); isErr || got != content {
		t.Fatalf("after restart get = %q (isError %v), want %q", got, isErr, content)
	}
}

func TestConcurrentSaves(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, snippets.Options{DataDir: dir})
	const workers = 24
	// Two sessions, so saves also race across sessions, not only within one.
	a, b := connect(t, ts, nil), connect(t, ts, nil)
	shared := make([]string, workers)
	var wg sync.WaitGroup
	for i := range workers {
		cs := a
		if i%2 == 1 {
			cs = b
		}
		shared[i] = strings.Repeat(fmt.Sprintf("writer %02d;", i), 2000)
		wg.Go(func() {
			for _, args := range []map[string]any{
				{"snippetname": "shared", "snippet": shared[i]},
				{"snippetname": fmt.Sprintf("own-%02d", i), "snippet": shared[i]},
			} {
				if msg, isErr := call(t, cs, "save_snippet", args); isErr {
					t.Errorf("save %v: %s", args["snippetname"], msg)
				}
			}
		})
	}
	wg.Wait()

	got, isErr := call(t, a, "get_snippet", map[string]any{"snippetname": "shared"})
	if isErr || !slices.Contains(shared, got) {
		t.Errorf("shared snippet is not exactly one writer's content (isError %v, %d bytes)", isErr, len(got))
	}
	for i := range workers {
		got, _ := call(t, b, "get_snippet", map[string]any{"snippetname": fmt.Sprintf("own-%02d", i)})
		if got != shared[i] {
			t.Errorf("own-%02d has the wrong content", i)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != workers+1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("data dir holds %d files, want %d (temporary files left?): %v", len(entries), workers+1, names)
	}
}

func TestSnippetFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "created")
	cs := connect(t, startServer(t, snippets.Options{DataDir: dir}), nil)
	call(t, cs, "save_snippet", map[string]any{"snippetname": "p", "snippet": "secret-ish"})
	for _, path := range []string{dir, filepath.Join(dir, "p.snippet")} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v, want no group/other access", path, perm)
		}
	}
}

// TestShutdownEndsOpenStreams holds a stateful session's GET stream open,
// which is what would make a plain http.Server.Shutdown wait forever.
func TestShutdownEndsOpenStreams(t *testing.T) {
	srv, err := snippets.New(snippets.Options{DataDir: t.TempDir(), Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String() + snippets.MCPPath

	stream := openGETStream(t, url)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v (after %v)", err, time.Since(start))
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
	}
	if _, err := io.ReadAll(stream); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Logf("stream ended with %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close after Shutdown: %v", err)
	}
}

// openGETStream initializes a session by hand and returns the body of its
// standalone GET stream once the server has accepted it.
func openGETStream(t *testing.T, url string) io.Reader {
	t.Helper()
	resp := rawRequest(t, http.MethodPost, url, keyHeader(testKey))
	io.Copy(io.Discard, resp.Body)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("initialize: status %d, session %q", resp.StatusCode, sid)
	}
	h := keyHeader(testKey)
	h.Set("Mcp-Session-Id", sid)
	h.Set("Mcp-Protocol-Version", "2025-06-18")

	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, url,
		strings.NewReader(`{"jsonrpc":"2.0","method":"notifications/initialized"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	notified, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	notified.Body.Close()

	req, err = http.NewRequestWithContext(testContext(t), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	req.Header.Set("Accept", "text/event-stream")
	get, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { get.Body.Close() })
	if get.StatusCode != http.StatusOK {
		t.Fatalf("GET stream: status %d", get.StatusCode)
	}
	return bufio.NewReader(get.Body)
}
