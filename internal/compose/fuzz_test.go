package compose

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// The SSE reader never returns more than its cap and never panics on what
// a member sends.
func FuzzSSEReader(f *testing.F) {
	for _, s := range []string{"data: {}\n\n", "data: a\ndata: b\r\n\r\n", ": c\n\nevent: x\ndata:y\n\n", "data: x", "\n\n\n", strings.Repeat("data: xx\n", 50) + "\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := newSSEReader(bytes.NewReader(in), 64)
		for range len(in) + 1 {
			data, err := r.next()
			if err != nil {
				return
			}
			if len(data) > 64 {
				t.Fatalf("event of %d bytes over the cap", len(data))
			}
		}
		t.Fatal("more events than bytes")
	})
}

func TestSSEReader(t *testing.T) {
	r := newSSEReader(strings.NewReader(": hi\n\nevent: message\nid: 1\ndata: {\"a\":1}\n\ndata: x\r\ndata: y\r\n\r\ndata: cut"), 64)
	for _, want := range []string{`{"a":1}`, "x\ny"} {
		got, err := r.next()
		if err != nil || string(got) != want {
			t.Fatalf("event %q %v, want %q", got, err, want)
		}
	}
	if _, err := r.next(); !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("an unfinished event: %v", err)
	}
	big := newSSEReader(strings.NewReader("data: "+strings.Repeat("x", 100)+"\n\n"), 64)
	if _, err := big.next(); !errors.Is(err, errTooLarge) {
		t.Fatalf("an event over the cap: %v", err)
	}
}

// setMember changes one member and keeps every other byte; it refuses
// what it cannot read strictly.
func FuzzSetMember(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"a","x":[1,2]}`, ` { "a" : { "name" : 1 } , "name":"b" } `, `{"name":"a","name":"b"}`, `[1]`, `{"a":1} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := setMember(in, "name", []byte(`"z"`))
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("setMember(%q) = %q: %v", in, out, err)
		}
		if string(m["name"]) != `"z"` {
			t.Fatalf("setMember(%q) = %q", in, out)
		}
	})
}

func TestSetMember(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"name": "a" ,"b":{"name":"x"}}`, `{"name": "z" ,"b":{"name":"x"}}`},
		{`{}`, `{"name":"z"}`},
		{`{ "b" : 1 }`, `{"name":"z", "b" : 1 }`},
	} {
		got, err := setMember([]byte(tc.in), "name", []byte(`"z"`))
		if err != nil || string(got) != tc.want {
			t.Errorf("setMember(%s) = %s %v, want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`{"name":"a","name":"b"}`, `[]`, `{"a":1}{}`, `{"a":}`} {
		if _, err := setMember([]byte(bad), "name", []byte(`"z"`)); err == nil {
			t.Errorf("setMember(%s) accepted", bad)
		}
	}
}

// A cursor is accepted only as the server wrote it.
func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(cursor{Method: "tools/list", Offset: 3, After: "x"}))
	f.Add("e30")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := decodeCursor(s, "tools/list")
		if ok && (encodeCursor(c) != s || c.Offset < 1) {
			t.Fatalf("accepted %q as %+v", s, c)
		}
	})
}

func TestEncodeHeader(t *testing.T) {
	for in, want := range map[string]string{
		"echo":          "echo",
		"":              "",
		"héllo":         "=?base64?aMOpbGxv?=",
		" padded":       "=?base64?IHBhZGRlZA==?=",
		"=?base64?eA?=": "=?base64?PT9iYXNlNjQ/ZUE/PQ==?=",
		"line\nbreak":   "=?base64?bGluZQpicmVhaw==?=",
	} {
		if got := encodeHeader(in); got != want {
			t.Errorf("encodeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}
