package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestTracing: a caller's traceparent is continued by the inbound span;
// the authorization check and the backend call are spans of the same
// trace; the backend receives a traceparent of that trace.
func TestTracing(t *testing.T) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())

	gw := gwtest.Start(t, gwtest.Options{TracerProvider: tp})
	c := gwtest.RegisterClient(t, gw, nil)
	at := c.Tokens(gwtest.User)["access_token"].(string)

	traceID := "4bf92f3577b34da6a3ce929d0e0e4736"
	pingWithTrace(t, gw.MCP, at, "00-"+traceID+"-00f067aa0ba902b7-01")

	// Spans end as the handler returns, which can be just after the client
	// has its answer: wait for the three.
	names := map[string]trace.SpanKind{}
	for deadline := time.Now().Add(10 * time.Second); len(names) < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, s := range exp.GetSpans() {
			if s.SpanContext.TraceID().String() == traceID {
				names[s.Name] = s.SpanKind
			}
		}
	}
	for name, kind := range map[string]trace.SpanKind{
		"POST /mcp": trace.SpanKindServer, "drawbridge.authorize": trace.SpanKindInternal, "backend snippets": trace.SpanKindClient,
	} {
		if got, ok := names[name]; !ok || got != kind {
			t.Errorf("span %q (kind %v) missing from trace %s; spans in it: %v", name, kind, traceID, names)
		}
	}
	gw.Backend.Mu.Lock()
	defer gw.Backend.Mu.Unlock()
	found := false
	for _, tp := range gw.Backend.TraceParents {
		if strings.Contains(tp, traceID) {
			found = true
		}
	}
	if !found {
		t.Errorf("the backend never saw a traceparent of trace %s: %v", traceID, gw.Backend.TraceParents)
	}
}

// TestTracingOffForwardsTraceparent: with no tracer the gateway adds no
// spans of its own, yet a caller's trace still reaches the backend: the
// traceparent header is forwarded exactly as sent.
func TestTracingOffForwardsTraceparent(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{})
	c := gwtest.RegisterClient(t, gw, nil)
	at := c.Tokens(gwtest.User)["access_token"].(string)

	sent := "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	pingWithTrace(t, gw.MCP, at, sent)
	gw.Backend.Mu.Lock()
	defer gw.Backend.Mu.Unlock()
	if len(gw.Backend.TraceParents) == 0 || gw.Backend.TraceParents[len(gw.Backend.TraceParents)-1] != sent {
		t.Errorf("the backend saw traceparents %q, want the caller's %q unchanged", gw.Backend.TraceParents, sent)
	}
}

// pingWithTrace sends an MCP ping with a caller's traceparent.
func pingWithTrace(t *testing.T, endpoint, token, traceparent string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("traceparent", traceparent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ping: status %d", resp.StatusCode)
	}
}
