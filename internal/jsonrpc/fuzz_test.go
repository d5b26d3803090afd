package jsonrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzReadAgainstReference feeds arbitrary bodies to Read and to a strict
// reference reader written independently on jsontext (which refuses
// duplicate names and invalid UTF-8 by default) and encoding/json. Read may
// refuse more than the reference; it may never accept a body the
// reference refuses, nor read an accepted one differently from it, nor
// forward a canonical form that means anything else.
func FuzzReadAgainstReference(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Read(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code > -32600 && e.Code != CodeInvalidParams {
				t.Fatalf("error %v is not a JSON-RPC error", err)
			}
			return // refusing is always safe
		}
		ref, rerr := referenceRead(data)
		if rerr != nil {
			t.Fatalf("Read accepted a body the reference refuses (%v): %q", rerr, data)
		}
		if b.Batch != ref.batch || len(b.Messages) != len(ref.msgs) {
			t.Fatalf("batch %v/%d, reference %v/%d: %q", b.Batch, len(b.Messages), ref.batch, len(ref.msgs), data)
		}
		if !sameJSON(b.Raw, data) {
			t.Fatalf("the canonical form means something else:\n%q\n%q", b.Raw, data)
		}
		for i := range b.Messages {
			compareMessage(t, &b.Messages[i], ref.msgs[i], data)
		}
	})
}

var fuzzSeeds = []string{
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get","arguments":{"a":1,"b":[true,null,"x"]}}}`,
	`{"jsonrpc":"2.0","id":"a\u0062","method":"resources/read","params":{"uri":"file:///\ud83d\ude00"}}`,
	`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"},{"jsonrpc":"2.0","id":2,"result":{}}]`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","Name":"b"}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"p":1},"argumentſ":{"p":2}}}`,
	`{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"taskId":"t","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"a\xff\"}}",
	`{"jsonrpc":"2.0","id":1e2,"method":"ping"}`,
	` {"jsonrpc" : "2.0" , "method":"ping" , "id" : -0 } `,
}

type refMessage map[string]any

type refBody struct {
	batch bool
	msgs  []refMessage
}

// referenceRead is the reference: jsontext checks the text, then the
// names are checked for case-folded repeats and the message rules are
// applied to the decoded values.
func referenceRead(data []byte) (*refBody, error) {
	if err := referenceSyntax(data); err != nil {
		return nil, err
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	ref := &refBody{}
	elems := []any{v}
	if arr, ok := v.([]any); ok {
		ref.batch, elems = true, arr
		if len(arr) == 0 {
			return nil, errors.New("empty batch")
		}
	}
	for _, e := range elems {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, errors.New("a message is not an object")
		}
		if err := referenceMessage(m); err != nil {
			return nil, err
		}
		ref.msgs = append(ref.msgs, m)
	}
	return ref, nil
}

// referenceSyntax: one strict JSON value (jsontext's defaults refuse
// invalid UTF-8, lone surrogates and exact repeats), no name repeated in
// another case, at most MaxDepth deep.
func referenceSyntax(data []byte) error {
	type frame struct {
		names      map[string]bool // nil in an array
		expectName bool
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	var stack []*frame
	for {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		isName := top != nil && top.names != nil && top.expectName
		if top != nil && top.names != nil {
			top.expectName = !top.expectName
		}
		switch k := tok.Kind(); k {
		case '{', '[':
			if len(stack)+1 > MaxDepth {
				return errors.New("too deep")
			}
			f := &frame{}
			if k == '{' {
				f.names, f.expectName = map[string]bool{}, true
			}
			stack = append(stack, f)
		case '}', ']':
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].names != nil {
				stack[len(stack)-1].expectName = true
			}
		case '"':
			if isName {
				for seen := range top.names {
					if strings.EqualFold(seen, tok.String()) {
						return fmt.Errorf("names %q and %q are equal under case folding", seen, tok.String())
					}
				}
				top.names[tok.String()] = true
			}
		}
		if len(stack) == 0 {
			// The value is complete: only whitespace may follow.
			if _, err := dec.ReadToken(); err != io.EOF {
				return errors.New("data after the value")
			}
			return nil
		}
	}
}

func referenceMessage(m refMessage) error {
	allowed := map[string]bool{"jsonrpc": true, "id": true, "method": true, "params": true, "result": true, "error": true}
	for k := range m {
		if !allowed[k] {
			return fmt.Errorf("member %q", k)
		}
	}
	if m["jsonrpc"] != "2.0" {
		return errors.New("jsonrpc")
	}
	if id, has := m["id"]; has {
		switch id := id.(type) {
		case string:
		case json.Number:
			if strings.ContainsAny(string(id), ".eE") {
				return errors.New("fractional id")
			}
		default:
			return errors.New("id type")
		}
	}
	method, hasMethod := m["method"]
	if !hasMethod {
		_, r := m["result"]
		_, e := m["error"]
		_, p := m["params"]
		if _, id := m["id"]; !id || r == e || p {
			return errors.New("not a response")
		}
		return nil
	}
	if s, ok := method.(string); !ok || s == "" {
		return errors.New("method")
	}
	if p, has := m["params"]; has {
		params, ok := p.(map[string]any)
		if !ok {
			return errors.New("params")
		}
		for k := range params {
			for _, known := range []string{"name", "uri", "taskId", "arguments", "_meta"} {
				if strings.EqualFold(k, known) && k != known {
					return fmt.Errorf("params member %q", k)
				}
			}
		}
	}
	return nil
}

func compareMessage(t *testing.T, m *Message, ref refMessage, data []byte) {
	t.Helper()
	if !sameJSON(m.Raw, mustMarshal(ref)) {
		t.Fatalf("message %q reads as %v: %q", m.Raw, ref, data)
	}
	method, _ := ref["method"].(string)
	if m.Method != method {
		t.Fatalf("method %q, reference %q: %q", m.Method, method, data)
	}
	params, _ := ref["params"].(map[string]any)
	for member, got := range map[string]string{"name": m.Name, "uri": m.URI, "taskId": m.TaskID} {
		want, _ := params[member].(string)
		if got != want {
			t.Fatalf("params.%s %q, reference %q: %q", member, got, want, data)
		}
	}
	if target, named := m.Target(); named {
		if s, _ := params[targetParam[m.Method]].(string); s != target || s == "" {
			t.Fatalf("target %q of %s, reference %q: %q", target, m.Method, s, data)
		}
	}
	if args, has := params["arguments"]; has && args == nil {
		if m.Arguments != nil {
			t.Fatalf("null arguments read as %q", m.Arguments)
		}
	} else if has != (m.Arguments != nil) || has && !sameJSON(m.Arguments, mustMarshal(args)) {
		t.Fatalf("arguments %q, reference %v: %q", m.Arguments, args, data)
	}
	meta, _ := params["_meta"].(map[string]any)
	if v, _ := meta[metaProtocolVersion].(string); v != m.ProtocolVersion {
		t.Fatalf("protocol version %q, reference %q: %q", m.ProtocolVersion, v, data)
	}
	if id, has := ref["id"]; has != (m.ID != nil) || has && !sameJSON(m.ID, mustMarshal(id)) {
		t.Fatalf("id %q, reference %v: %q", m.ID, id, data)
	}
}

// sameJSON reports whether two texts decode to the same value, numbers
// compared as written.
func sameJSON(a, b []byte) bool {
	decode := func(d []byte) (any, error) {
		var v any
		dec := json.NewDecoder(bytes.NewReader(d))
		dec.UseNumber()
		err := dec.Decode(&v)
		return v, err
	}
	va, errA := decode(a)
	vb, errB := decode(b)
	return errA == nil && errB == nil && reflect.DeepEqual(va, vb)
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
