package jsonrpc

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestReadAccepts(t *testing.T) {
	for _, tt := range []struct {
		name, body, raw   string
		method, target    string
		id, args, version string
		batch             bool
		request, notifies bool
	}{
		{name: "tools/call", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get","arguments":{"a":1}}}`,
			raw:    `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get","arguments":{"a":1}}}`,
			method: "tools/call", target: "get", id: "1", args: `{"a":1}`, request: true},
		{name: "whitespace and escapes are canonicalised",
			body:   " {\n \"jsonrpc\" : \"2.0\", \"id\" : \"a\\u0062\", \"method\":\"tools\\/call\",\"params\":{\"name\":\"caf\\u00e9\\u0041\",\"arguments\":{\"q\":\"\\ud83d\\ude00\\\"\"}}}\r\n",
			raw:    `{"jsonrpc":"2.0","id":"ab","method":"tools/call","params":{"name":"caféA","arguments":{"q":"😀\""}}}`,
			method: "tools/call", target: "caféA", id: `"ab"`, args: `{"q":"😀\""}`, request: true},
		{name: "resources/read", body: `{"jsonrpc":"2.0","id":-7,"method":"resources/read","params":{"uri":"file:///a"}}`,
			method: "resources/read", target: "file:///a", id: "-7", request: true},
		{name: "tasks/get names its task", body: `{"jsonrpc":"2.0","id":2,"method":"tasks/get","params":{"taskId":"t-1"}}`,
			method: "tasks/get", target: "t-1", id: "2", request: true},
		{name: "notification", body: `{"jsonrpc":"2.0","method":"notifications/initialized"}`,
			method: "notifications/initialized", notifies: true},
		{name: "null arguments are none", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":null}}`,
			method: "tools/call", target: "a", id: "1", request: true},
		{name: "response", body: `{"jsonrpc":"2.0","id":"s1","result":{"action":"accept"}}`, id: `"s1"`},
		{name: "error response", body: `{"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"no"}}`, id: "3"},
		{name: "protocol version in _meta", body: `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`,
			method: "tools/list", id: "1", version: "2026-07-28", request: true},
		{name: "other params pass through in any case", body: `{"jsonrpc":"2.0","id":1,"method":"x/y","params":{"Cursor":"c","n":{"NAME":1}}}`,
			method: "x/y", id: "1", request: true},
		{name: "batch", body: `[{"jsonrpc":"2.0","id":1,"method":"ping"}, {"jsonrpc":"2.0","method":"notifications/x"}]`,
			raw: `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"}]`, batch: true, method: "ping", id: "1", request: true},
		{name: "numbers as written", body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"n","arguments":{"x":-0.5e+10,"y":0,"z":1E2}}}`,
			method: "tools/call", target: "n", id: "1", args: `{"x":-0.5e+10,"y":0,"z":1E2}`, request: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Read([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.raw != "" && string(b.Raw) != tt.raw {
				t.Errorf("raw:\n got %s\nwant %s", b.Raw, tt.raw)
			}
			if b.Batch != tt.batch {
				t.Errorf("batch = %v", b.Batch)
			}
			m := b.Messages[0]
			target, _ := m.Target()
			if m.Method != tt.method || target != tt.target || string(m.ID) != tt.id || string(m.Arguments) != tt.args || m.ProtocolVersion != tt.version {
				t.Errorf("read %q %q id %s args %s version %q", m.Method, target, m.ID, m.Arguments, m.ProtocolVersion)
			}
			if m.IsRequest() != tt.request || m.IsNotification() != tt.notifies {
				t.Errorf("request %v notification %v", m.IsRequest(), m.IsNotification())
			}
			if !b.Batch && string(m.Raw) != string(b.Raw) {
				t.Errorf("message raw %s != body raw %s", m.Raw, b.Raw)
			}
			var any1, any2 any
			if err := json.Unmarshal([]byte(tt.body), &any1); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b.Raw, &any2); err != nil {
				t.Fatal(err)
			}
			j1, _ := json.Marshal(any1)
			j2, _ := json.Marshal(any2)
			if string(j1) != string(j2) {
				t.Errorf("the canonical form means something else:\n%s\n%s", j1, j2)
			}
		})
	}
}

func TestReadRefuses(t *testing.T) {
	call := func(params string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":` + params + `}`
	}
	for _, tt := range []struct {
		name, body string
		code       int
	}{
		{"empty", ``, CodeParseError},
		{"not JSON", `{"jsonrpc":"2.0",`, CodeParseError},
		{"trailing data", `{"jsonrpc":"2.0","method":"ping","id":1} {"jsonrpc":"2.0","method":"x","id":2}`, CodeParseError},
		{"trailing comma", `{"jsonrpc":"2.0","method":"ping","id":1,}`, CodeParseError},
		{"trailing comma in array", `[{"jsonrpc":"2.0","method":"ping","id":1},]`, CodeParseError},
		{"byte order mark", "\xef\xbb\xbf" + `{"jsonrpc":"2.0","method":"ping","id":1}`, CodeParseError},
		{"invalid UTF-8", call(`{"name":"a\xff"}`), CodeParseError},
		{"UTF-8 encoded surrogate", call(`{"name":"a\xed\xa0\x80"}`), CodeParseError},
		{"overlong UTF-8", call(`{"name":"\xc0\xaf"}`), CodeParseError},
		{"lone high surrogate", call(`{"name":"a\ud800"}`), CodeParseError},
		{"lone low surrogate", call(`{"name":"a\udc00b"}`), CodeParseError},
		{"reversed surrogates", call(`{"name":"\udc00\ud800"}`), CodeParseError},
		{"control character", call("{\"name\":\"a\tb\"}"), CodeParseError},
		{"NaN", call(`{"name":"a","arguments":{"x":NaN}}`), CodeParseError},
		{"comment", `{"jsonrpc":"2.0",/*x*/"method":"ping","id":1}`, CodeParseError},
		{"single quotes", `{'jsonrpc':"2.0"}`, CodeParseError},
		{"leading zero", call(`{"name":"a","arguments":{"x":01}}`), CodeParseError},
		{"bad escape", call(`{"name":"\x"}`), CodeParseError},
		{"duplicate method", `{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"a"}}`, CodeInvalidRequest},
		{"method in another case", `{"jsonrpc":"2.0","id":1,"Method":"tools/call","params":{"name":"a"}}`, CodeInvalidRequest},
		{"duplicate params", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"},"params":{"name":"b"}}`, CodeInvalidRequest},
		// A gated method in another spelling: a backend dispatching loosely
		// would run it past every check.
		{"method value in capitals", `{"jsonrpc":"2.0","id":1,"method":"Tools/Call","params":{"name":"a"}}`, CodeInvalidRequest},
		{"padded method value", `{"jsonrpc":"2.0","id":1,"method":" tools/call","params":{"name":"a"}}`, CodeInvalidRequest},
		{"method with a no-break space", `{"jsonrpc":"2.0","id":1,"method":"tools/list\u00a0"}`, CodeInvalidRequest},
		{"fullwidth method", `{"jsonrpc":"2.0","id":1,"method":"ｒｅｓｏｕｒｃｅｓ/read","params":{"uri":"a"}}`, CodeInvalidRequest},
		{"list method in capitals", `{"jsonrpc":"2.0","id":1,"method":"PROMPTS/LIST"}`, CodeInvalidRequest},
		{"params folds to params", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"},"paramſ":{"name":"b"}}`, CodeInvalidRequest},
		{"duplicate name", call(`{"name":"a","name":"b"}`), CodeInvalidRequest},
		{"escaped duplicate name", call(`{"name":"a","n\u0061me":"b"}`), CodeInvalidRequest},
		{"name in another case", call(`{"name":"a","Name":"b"}`), CodeInvalidRequest},
		{"only a case variant of name", call(`{"NAME":"b"}`), CodeInvalidRequest},
		{"duplicate arguments", call(`{"name":"a","arguments":{"p":1},"arguments":{"p":2}}`), CodeInvalidRequest},
		{"arguments folds (long s)", call(`{"name":"a","arguments":{"p":1},"argumentſ":{"p":2}}`), CodeInvalidRequest},
		{"duplicate inside arguments", call(`{"name":"a","arguments":{"p":1,"p":2}}`), CodeInvalidRequest},
		{"case duplicate inside arguments", call(`{"name":"a","arguments":{"path":"/ok","PATH":"/etc"}}`), CodeInvalidRequest},
		{"Kelvin sign duplicate", call(`{"name":"a","arguments":{"k":1,"\u212a":2}}`), CodeInvalidRequest},
		{"duplicate deep inside", call(`{"name":"a","arguments":{"x":[{"y":{"z":1,"z":2}}]}}`), CodeInvalidRequest},
		{"duplicate uri", `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"a","uri":"b"}}`, CodeInvalidRequest},
		{"duplicate id", `{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}`, CodeInvalidRequest},
		{"duplicate jsonrpc", `{"jsonrpc":"2.0","jsonrpc":"1.0","id":1,"method":"ping"}`, CodeInvalidRequest},
		{"duplicate protocol version", `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"a","io.modelcontextprotocol/protocolVersion":"b"}}}`, CodeInvalidRequest},
		{"protocol version in another case", `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolversion":"a"}}}`, CodeInvalidRequest},
		{"unknown top-level member", `{"jsonrpc":"2.0","id":1,"method":"ping","extra":1}`, CodeInvalidRequest},
		{"no jsonrpc", `{"id":1,"method":"ping"}`, CodeInvalidRequest},
		{"wrong jsonrpc", `{"jsonrpc":"1.0","id":1,"method":"ping"}`, CodeInvalidRequest},
		{"null id", `{"jsonrpc":"2.0","id":null,"method":"ping"}`, CodeInvalidRequest},
		{"fractional id", `{"jsonrpc":"2.0","id":1.5,"method":"ping"}`, CodeInvalidRequest},
		{"exponent id", `{"jsonrpc":"2.0","id":1e2,"method":"ping"}`, CodeInvalidRequest},
		{"huge id", `{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}`, CodeInvalidRequest},
		{"object id", `{"jsonrpc":"2.0","id":{},"method":"ping"}`, CodeInvalidRequest},
		{"method not a string", `{"jsonrpc":"2.0","id":1,"method":["tools/call"]}`, CodeInvalidRequest},
		{"empty method", `{"jsonrpc":"2.0","id":1,"method":""}`, CodeInvalidRequest},
		{"method with a NUL", `{"jsonrpc":"2.0","id":1,"method":"ping\u0000"}`, CodeInvalidRequest},
		{"params an array", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["a"]}`, CodeInvalidRequest},
		{"request with result", `{"jsonrpc":"2.0","id":1,"method":"ping","result":{}}`, CodeInvalidRequest},
		{"response without id", `{"jsonrpc":"2.0","result":{}}`, CodeInvalidRequest},
		{"response with both", `{"jsonrpc":"2.0","id":1,"result":{},"error":{}}`, CodeInvalidRequest},
		{"not an object", `"tools/call"`, CodeInvalidRequest},
		{"empty batch", `[]`, CodeInvalidRequest},
		{"nested batch", `[[{"jsonrpc":"2.0","id":1,"method":"ping"}]]`, CodeInvalidRequest},
		{"batch element with a duplicate", `[{"jsonrpc":"2.0","id":1,"method":"ping"},` + call(`{"name":"a","name":"b"}`) + `]`, CodeInvalidRequest},
		{"batch with repeated ids", `[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":1,"method":"tools/list"}]`, CodeInvalidRequest},
		{"too deep", call(`{"name":"a","arguments":{"x":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}}`), CodeInvalidRequest},
		{"tools/call without params", `{"jsonrpc":"2.0","id":1,"method":"tools/call"}`, CodeInvalidParams},
		{"tools/call without a name", call(`{"arguments":{}}`), CodeInvalidParams},
		{"name not a string", call(`{"name":["a"]}`), CodeInvalidParams},
		{"empty name", call(`{"name":""}`), CodeInvalidParams},
		{"name with a newline", call(`{"name":"a\nb"}`), CodeInvalidParams},
		{"arguments not an object", call(`{"name":"a","arguments":[1]}`), CodeInvalidParams},
		{"resources/read without uri", `{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"name":"x"}}`, CodeInvalidParams},
		{"tasks/cancel without taskId", `{"jsonrpc":"2.0","id":1,"method":"tasks/cancel","params":{}}`, CodeInvalidParams},
		{"_meta not an object", `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":1}}`, CodeInvalidParams},
		{"protocol version not a string", `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":2}}}`, CodeInvalidParams},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Read([]byte(tt.body))
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("read %+v, err %v", b, err)
			}
			if e.Code != tt.code {
				t.Errorf("code %d (%s), want %d", e.Code, e.Message, tt.code)
			}
		})
	}
}

// Errors name members but never repeat values, which may be secrets.
func TestErrorsDoNotEchoValues(t *testing.T) {
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"token":"s3cr3t","token":"s3cr3t"}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"s3cr3t\n"}}`,
		`{"jsonrpc":"s3cr3t","id":1,"method":"ping"}`,
	} {
		_, err := Read([]byte(body))
		if err == nil || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestFoldKeyMatchesEqualFold(t *testing.T) {
	words := []string{"k", "K", "\u212a", "s", "S", "\u017f", "name", "NAME", "Straße", "STRASSE", "ǅ", "ǆ", "Ǆ", "σ", "ς", "Σ", "ﬀ", "ff", "İ", "i", "ı", "I"}
	for _, a := range words {
		for _, b := range words {
			if (foldKey([]byte(a)) == foldKey([]byte(b))) != strings.EqualFold(a, b) {
				t.Errorf("%q %q: foldKey %v, EqualFold %v", a, b, foldKey([]byte(a)) == foldKey([]byte(b)), strings.EqualFold(a, b))
			}
		}
	}
}

// A large object switches to a map of folded names; a repeat is still
// found in it.
func TestLargeObjectDuplicates(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{`)
	for i := 0; i < 40; i++ {
		sb.WriteString(`"k` + strings.Repeat("x", i) + `":1,`)
	}
	ok := sb.String() + `"last":1}}}`
	if _, err := Read([]byte(ok)); err != nil {
		t.Fatalf("distinct names: %v", err)
	}
	dup := sb.String() + `"\u212axxx":1}}}`
	if _, err := Read([]byte(dup)); err == nil {
		t.Fatal("a case-folded repeat among 40 names was accepted")
	}
}
