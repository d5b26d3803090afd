package doctor

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestStreamEndpoint(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 7, 28, 12, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(NewStreamHandler(func() time.Time { return clock }))
	defer srv.Close()
	resp, err := http.Get(srv.URL + StreamPath + "?delay=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := "event: doctor\nid: 1\ndata: {\"seq\":1,\"time\":\"2026-07-28T12:00:00Z\"}\n\n" +
		"event: doctor\nid: 2\ndata: {\"seq\":2,\"time\":\"2026-07-28T12:00:00Z\"}\n\n"
	if resp.StatusCode != http.StatusOK || string(body) != want {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	// The headers of the gateway's MCP streams, so that proxies treat the
	// test stream as they treat those.
	for k, v := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

// What an anonymous caller can ask of the endpoint is bounded: GET only,
// one parameter with a small range, and no more than maxStreams at once.
func TestStreamEndpointRefuses(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(NewStreamHandler(time.Now))
	defer srv.Close()
	for _, tt := range []struct {
		method, query string
		status        int
	}{
		{http.MethodPost, "", http.StatusMethodNotAllowed},
		{http.MethodHead, "", http.StatusMethodNotAllowed},
		{http.MethodGet, "?delay=0", http.StatusBadRequest},
		{http.MethodGet, "?delay=6", http.StatusBadRequest},
		{http.MethodGet, "?delay=3600", http.StatusBadRequest},
		{http.MethodGet, "?delay=-1", http.StatusBadRequest},
		{http.MethodGet, "?delay=1.5", http.StatusBadRequest},
		{http.MethodGet, "?delay=1&delay=1", http.StatusBadRequest},
		{http.MethodGet, "?delay=1&x=1", http.StatusBadRequest},
		{http.MethodGet, "?echo=%3Cscript%3E", http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(tt.method, srv.URL+StreamPath+tt.query, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") == "text/event-stream" {
			t.Errorf("%s %s: %d %q", tt.method, tt.query, resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode == http.StatusBadRequest && !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("%s: error as %q", tt.query, ct)
		}
	}

	// maxStreams streams hold every slot (each has sent its first event);
	// one more is refused until one ends.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range maxStreams {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+StreamPath+"?delay=5", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("stream: %v %v", resp, err)
		}
		defer resp.Body.Close()
		if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get(srv.URL + StreamPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("one stream too many: %d", resp.StatusCode)
	}
}
