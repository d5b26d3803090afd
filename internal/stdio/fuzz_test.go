package stdio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// FuzzParseBody: any POST body either fails to parse or yields messages
// that encode back to single-line JSON (SSE data and stdio framing both
// break on a newline).
func FuzzParseBody(f *testing.F) {
	f.Add([]byte(initBody))
	f.Add([]byte(`[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","id":"x","result":{}}]`))
	f.Add([]byte("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\n\"a\" : [1,\n2]}}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		msgs, _, err := parseBody(body)
		if err != nil {
			return
		}
		for _, msg := range msgs {
			data, err := encode(msg)
			if err != nil {
				continue
			}
			if bytes.ContainsAny(data, "\r\n") {
				t.Fatalf("encoded message spans lines: %q", data)
			}
			if _, err := jsonrpc.DecodeMessage(data); err != nil {
				t.Fatalf("re-encoded message does not decode: %v: %q", err, data)
			}
		}
	})
}

// FuzzRewrite: rewriting a _meta field never breaks valid JSON and sets
// the value when the field exists.
func FuzzRewrite(f *testing.F) {
	f.Add([]byte(`{"_meta":{"progressToken":1},"name":"x"}`))
	f.Add([]byte(`{"_meta":null}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, obj []byte) {
		out := withMetaField(obj, "progressToken", json.RawMessage(`"t"`))
		if json.Valid(obj) && !json.Valid(out) {
			t.Fatalf("valid %q became invalid %q", obj, out)
		}
		if _, had := metaField(obj, "progressToken"); had {
			if v, ok := metaField(out, "progressToken"); !ok || string(v) != `"t"` {
				t.Fatalf("token not replaced in %q: %q", obj, out)
			}
		}
	})
}

// FuzzReadLine: a line never exceeds the limit, whatever the child writes.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte("a\nbb\n\nccc"), 2)
	f.Add(bytes.Repeat([]byte("x"), 70000), 100)
	f.Fuzz(func(t *testing.T, in []byte, max int) {
		if max <= 0 || max > 1<<20 {
			return
		}
		r := bufio.NewReaderSize(bytes.NewReader(in), 16)
		for range len(in) + 2 {
			line, err := readLine(r, max)
			if len(line) > max {
				t.Fatalf("line of %d bytes, limit %d", len(line), max)
			}
			if err != nil && !errors.Is(err, errLineTooLong) {
				if !errors.Is(err, io.EOF) {
					t.Fatal(err)
				}
				return
			}
		}
	})
}
