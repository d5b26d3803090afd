package sse

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestEvents(t *testing.T) {
	r := NewReader(strings.NewReader(": comment\n\nevent: endpoint\ndata: /m?s=1\n\n"+
		"event: lonely\n\n"+ // no data: not dispatched, and its type does not carry over
		"data: {\"a\":1}\nid: 7\nretry: 10\n\n"+
		"event:message\r\ndata:x\r\ndata: y\r\n\r\n"+
		"data: cut"), 64)
	for _, want := range []Event{
		{"endpoint", []byte("/m?s=1")},
		{"message", []byte(`{"a":1}`)},
		{"message", []byte("x\ny")},
	} {
		got, err := r.Next()
		if err != nil || got.Type != want.Type || string(got.Data) != string(want.Data) {
			t.Fatalf("Next = %q %q, %v; want %q %q", got.Type, got.Data, err, want.Type, want.Data)
		}
	}
	if _, err := r.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("an event cut short: %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestLimits(t *testing.T) {
	for name, in := range map[string]string{
		"one long line":    "data: " + strings.Repeat("x", 100) + "\n\n",
		"many short lines": strings.Repeat("data: xxxxxxxxxx\n", 10) + "\n",
		"a long comment":   ":" + strings.Repeat("x", 100) + "\n",
	} {
		if _, err := NewReader(strings.NewReader(in), 64).Next(); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v, want ErrTooLarge", name, err)
		}
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte("event: endpoint\ndata: /m\n\ndata: {}\n\n"))
	f.Add([]byte("data: a\r\ndata: b\r\n\r\n:c\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(strings.NewReader(string(in)), 32)
		for range len(in) + 1 {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if len(ev.Data) > 32 || ev.Type == "" {
				t.Fatalf("event %q with %d bytes of data", ev.Type, len(ev.Data))
			}
		}
		t.Fatal("more events than bytes")
	})
}
