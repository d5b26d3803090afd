package sseclient_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// initialize sends a raw initialize to the bridge and returns its answer.
func initialize(t *testing.T, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// fakeStream is a hand-written SSE server: stream writes the stream's
// events (it may block until the request ends); post answers POSTs.
func fakeStream(t *testing.T, stream func(w http.ResponseWriter, r *http.Request), post http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			stream(w, r)
			return
		}
		post(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func sseHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
}

func event(w http.ResponseWriter, typ, data string) {
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, data)
	w.(http.Flusher).Flush()
}

// TestEndpointOnAnotherOriginRefused: a server may not send the gateway,
// with the member's credential, to another host: its endpoint event is
// refused, the session does not open, and the other host hears nothing.
func TestEndpointOnAnotherOriginRefused(t *testing.T) {
	var heard atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { heard.Add(1) }))
	defer elsewhere.Close()
	for name, endpoint := range map[string]string{
		"absolute":        elsewhere.URL + "/messages",
		"scheme-relative": "//" + strings.TrimPrefix(elsewhere.URL, "http://") + "/messages",
		"userinfo":        "http://user@" + strings.TrimPrefix(elsewhere.URL, "http://") + "/m",
		"another scheme":  "https://127.0.0.1/messages",
		"not a url":       "http://[::1",
	} {
		t.Run(name, func(t *testing.T) {
			s := fakeStream(t, func(w http.ResponseWriter, r *http.Request) {
				sseHeaders(w)
				event(w, "endpoint", endpoint)
				<-r.Context().Done()
			}, func(w http.ResponseWriter, _ *http.Request) { heard.Add(1) })
			code, body := initialize(t, bridge(t, s.URL, 5*time.Second).URL)
			if code == http.StatusOK {
				t.Errorf("initialize answered 200: %s", body)
			}
		})
	}
	if heard.Load() != 0 {
		t.Errorf("%d requests reached a host the endpoint event named", heard.Load())
	}
}

// TestBadStreamsRefused: a stream that is not one, or whose first event is
// not the endpoint, or that never names one, opens no session; nothing
// hangs past the timeout.
func TestBadStreamsRefused(t *testing.T) {
	for name, stream := range map[string]func(http.ResponseWriter, *http.Request){
		"status 500": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) },
		"a redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/sse", http.StatusFound)
		},
		"json, not a stream": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{}`)
		},
		"message first": func(w http.ResponseWriter, r *http.Request) {
			sseHeaders(w)
			event(w, "message", `{"jsonrpc":"2.0","method":"notifications/message"}`)
			<-r.Context().Done()
		},
		"silence": func(w http.ResponseWriter, r *http.Request) {
			sseHeaders(w)
			<-r.Context().Done()
		},
		"endpoint too large": func(w http.ResponseWriter, r *http.Request) {
			sseHeaders(w)
			event(w, "endpoint", "/m?"+strings.Repeat("x", 20<<20))
			<-r.Context().Done()
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := fakeStream(t, stream, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
			code, body := initialize(t, bridge(t, s.URL, 300*time.Millisecond).URL)
			if code == http.StatusOK {
				t.Errorf("initialize answered 200: %s", body)
			}
		})
	}
}

// TestRefusedMessageFailsItsCall: a POST the server refuses answers the
// request it carried with a JSON-RPC error at once (its caller does not
// wait for an answer that cannot come), and the error names the status,
// not the endpoint (whose query holds the server's session id).
func TestRefusedMessageFailsItsCall(t *testing.T) {
	s := fakeStream(t, func(w http.ResponseWriter, r *http.Request) {
		sseHeaders(w)
		event(w, "endpoint", "/messages?sessionId=secret-session")
		<-r.Context().Done()
	}, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTooManyRequests) })
	code, body := initialize(t, bridge(t, s.URL, 5*time.Second).URL)
	if !strings.Contains(body, `"error"`) || !strings.Contains(body, "HTTP 429") || strings.Contains(body, "secret-session") {
		t.Errorf("initialize: %d %s", code, body)
	}
}

// TestStreamEndEndsTheSession: when the server ends the SSE stream, the
// session ends with it, and the client's next call fails instead of
// waiting for an answer that cannot come.
func TestStreamEndEndsTheSession(t *testing.T) {
	ls := newLegacyServer(t)
	br := bridge(t, ls.URL, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs := connect(t, ctx, br.URL, nil)
	if got := call(t, ctx, cs, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "1"}}); got != "legacy 1" {
		t.Fatalf("echo = %q", got)
	}
	ls.CloseClientConnections()
	for {
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"text": "2"}})
		if err != nil {
			break // the session is gone
		}
		if ctx.Err() != nil {
			t.Fatal("calls still succeed after the stream ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOversizedMessageEndsTheStream: a message over the limit is not
// buffered: the stream ends.
func TestOversizedMessageEndsTheStream(t *testing.T) {
	s := fakeStream(t, func(w http.ResponseWriter, r *http.Request) {
		sseHeaders(w)
		event(w, "endpoint", "/messages")
		bw := bufio.NewWriter(w)
		fmt.Fprintf(bw, "event: message\ndata: %s\n\n", strings.Repeat("x", 17<<20))
		_ = bw.Flush()
		<-r.Context().Done()
	}, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
	code, body := initialize(t, bridge(t, s.URL, 2*time.Second).URL)
	if code == http.StatusOK && !strings.Contains(body, `"error"`) {
		t.Errorf("initialize: %d %s", code, body)
	}
}
