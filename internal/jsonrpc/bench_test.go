package jsonrpc

import (
	"encoding/json"
	"testing"
)

const benchCall = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_snippet","arguments":{"snippetname":"greeting","limit":10,"tags":["a","b"]},"_meta":{"progressToken":"p1"}}}`

// BenchmarkRead is the strict reading of a typical tools/call, beside
// encoding/json decoding the same body into the fields the gateway used to
// read (which was neither strict nor canonicalising).
func BenchmarkRead(b *testing.B) {
	body := []byte(benchCall)
	b.Run("strict", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := Read(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var m struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
				Params struct {
					Name      string          `json:"name"`
					URI       string          `json:"uri"`
					Arguments json.RawMessage `json:"arguments"`
				} `json:"params"`
			}
			if err := json.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
