package inproc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

type key struct{}

// TestStreams: the response arrives when the header is written and each
// write is readable before the handler goes on, with the caller's
// context values and the request body.
func TestStreams(t *testing.T) {
	next := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "data: "+string(in)+" "+r.Context().Value(key{}).(string)+" "+r.RequestURI+"\n")
		w.(http.Flusher).Flush()
		<-next
		_, _ = io.WriteString(w, "data: second\n")
	})
	ctx := context.WithValue(context.Background(), key{}, "caller")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://member.invalid/mcp?x=1", strings.NewReader("hello"))
	resp, err := (&http.Client{Transport: Transport{Handler: h}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, header %v", resp.StatusCode, resp.Header)
	}
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "data: hello caller /mcp?x=1\n" {
		t.Fatalf("first event %q, %v", line, err)
	}
	close(next)
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "data: second\n" {
		t.Fatalf("rest %q, %v", rest, err)
	}
}

// TestCloseStopsHandler: closing the body cancels the handler's context.
func TestCloseStopsHandler(t *testing.T) {
	stopped := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		stopped <- r.Context().Err()
	})
	req, _ := http.NewRequest(http.MethodGet, "http://member.invalid/mcp", nil)
	resp, err := Transport{Handler: h}.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Errorf("handler context: %v", err)
	}
}

// TestNoHeaderAndPanic: a handler that writes nothing answers 200 with an
// empty body; one that panics before answering is an error, never a
// crash; one that panics mid-body cuts the body with an error.
func TestNoHeaderAndPanic(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "http://member.invalid/mcp", nil)
	resp, err := Transport{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("empty handler: %v %v", resp, err)
	}
	if b, _ := io.ReadAll(resp.Body); len(b) != 0 {
		t.Errorf("body %q", b)
	}
	_, err = Transport{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })}.RoundTrip(req)
	if !errors.Is(err, errPanicked) {
		t.Errorf("panic before the header: %v", err)
	}
	resp, err = Transport{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusEarlyHints)
		_, _ = io.WriteString(w, "part")
		panic("boom")
	})}.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("panic mid-body: %v %v", resp, err)
	}
	if _, err := io.ReadAll(resp.Body); !errors.Is(err, errPanicked) {
		t.Errorf("body after a panic: %v", err)
	}
}

// TestCallerGivesUp: a caller whose context ends before the header gets
// its context's error.
func TestCallerGivesUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { cancel(); <-release })
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://member.invalid/mcp", nil)
	if _, err := (Transport{Handler: h}).RoundTrip(req); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}
