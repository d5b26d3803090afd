package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
)

// TestServeReloadsOpenAPIOnHangup: a SIGHUP to drawbridge serve reads an
// OpenAPI server's document again (without the handler, the signal would
// end the test binary). What a reload serves is tested in internal/server.
func TestServeReloadsOpenAPIOnHangup(t *testing.T) {
	fetched := make(chan struct{}, 4)
	var fetches atomic.Int32
	doc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		fmt.Fprint(w, "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /a:\n    get: {operationId: getA, responses: {\"200\": {description: ok}}}\n")
		select {
		case fetched <- struct{}{}:
		default: // the count below tells
		}
	}))
	t.Cleanup(doc.Close)
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`public_url: http://127.0.0.1:1
listen: 127.0.0.1:0
storage: {sqlite: {path: %q}}
encryption_keys: [{id: k1, key: "%s"}]
clients:
  - {id: job, secret: "a-long-enough-client-secret", grant_types: [client_credentials]}
servers:
  - {name: rest, path: /mcp, openapi: {spec: %q, base_url: "http://127.0.0.1:1"}, scopes: [rest]}
`, filepath.Join(dir, "db.sqlite"), generateKey(), doc.URL+"/openapi.yaml")), os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, newLogger(cfg, &syncBuffer{}), func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	<-fetched // at start
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-fetched:
	case <-time.After(30 * time.Second):
		t.Fatal("SIGHUP did not read the document again")
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("serve: %v", err)
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("the document was fetched %d times, want 2 (start, SIGHUP)", n)
	}
}
