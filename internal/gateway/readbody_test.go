package gateway

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// readBody reads exactly what a client sent, by either path: a small body
// of declared length into a buffer of that length, anything else growing
// as it arrives; and it refuses what is over the limit on both.
func TestReadBody(t *testing.T) {
	const limit = 100 << 10
	big := strings.Repeat("b", exactBodyMax+10) // declared, over exactBodyMax, within limit
	for _, tc := range []struct {
		name     string
		body     string
		declared int64 // -1: unknown length (chunked)
		want     string
		tooLarge bool
		fails    bool
	}{
		{name: "declared", body: "hello", declared: 5, want: "hello"},
		{name: "declared empty", body: "", declared: 0, want: ""},
		{name: "declared, client sends less", body: "hel", declared: 5, fails: true},
		{name: "declared large", body: big, declared: int64(len(big)), want: big},
		{name: "declared over the limit", body: "x", declared: limit + 1, tooLarge: true},
		{name: "unknown length", body: "hello", declared: -1, want: "hello"},
		{name: "unknown length over the limit", body: strings.Repeat("x", limit+1), declared: -1, tooLarge: true},
	} {
		r := httptest.NewRequest("POST", "/mcp", io.NopCloser(strings.NewReader(tc.body)))
		r.ContentLength = tc.declared
		if tc.declared >= 0 {
			// net/http's body reader stops at the declared length.
			r.Body = io.NopCloser(io.LimitReader(strings.NewReader(tc.body), tc.declared))
		}
		got, err := readBody(httptest.NewRecorder(), r, limit)
		switch {
		case tc.tooLarge:
			if !errors.Is(err, errTooLarge) {
				t.Errorf("%s: err %v, want errTooLarge", tc.name, err)
			}
		case tc.fails:
			if err == nil || errors.Is(err, errTooLarge) {
				t.Errorf("%s: err %v, want a read error", tc.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !bytes.Equal(got, []byte(tc.want)):
			t.Errorf("%s: read %d bytes, want %d", tc.name, len(got), len(tc.want))
		}
	}
}

// The pools hand out buffers of their size, take them back, and drop
// anything else.
func TestBufferPool(t *testing.T) {
	bp := newBufferPool(64)
	b := bp.Get()
	if len(b) != 64 || cap(b) != 64 {
		t.Fatalf("len %d cap %d", len(b), cap(b))
	}
	b[0], b[63] = 1, 2
	bp.Put(b[:10]) // a shortened buffer goes back whole
	for range 10 {
		c := bp.Get()
		if len(c) != 64 {
			t.Fatalf("len %d after a Put", len(c))
		}
		bp.Put(c)
	}
	bp.Put(make([]byte, 32)) // not one of its buffers: dropped
	for range 10 {
		if c := bp.Get(); len(c) != 64 || cap(c) != 64 {
			t.Fatalf("len %d cap %d after a foreign Put", len(c), cap(c))
		}
	}
}

// Headers longer than the transport's 1 KiB read buffer and the request's
// 2 KiB write buffer pass whole, both ways.
func TestLongHeadersPassTheSmallBuffers(t *testing.T) {
	long := strings.Repeat("v", 6000)
	var got string
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("X-Long")
		w.Header().Set("X-Long-Answer", long)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}), nil)
	resp, body := post(t, gw.URL+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, map[string]string{"X-Long": long})
	if resp.StatusCode != http.StatusOK || got != long || resp.Header.Get("X-Long-Answer") != long {
		t.Fatalf("status %d, backend got %d bytes, client got %d bytes: %s", resp.StatusCode, len(got), len(resp.Header.Get("X-Long-Answer")), body)
	}
}
