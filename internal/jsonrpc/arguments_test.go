package jsonrpc

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

var argumentSeeds = []string{
	`{}`, `{"snippetname":"greeting"}`, `{"a":1,"b":-0,"c":1.5e3,"d":-12.25E-2,"e":0.0}`,
	`{"n":null,"t":true,"f":false,"l":[],"o":{},"x":[1,"2",[3],{"4":5}]}`,
	`{"s":"tab\tquote\"back\\slash\/nul\u0000\u001f é 日本 😀"}`,
	`{"esc":"\u00e9\u65e5\ud83d\ude00"}`, `{"lone":"\ud800"}`, `{"bad":"\xff"}`,
	`{"big":1e400}`, `{"small":1e-400}`, `{"dup":1,"dup":2}`, `{"Dup":1,"dup":2}`,
	`null`, `[]`, `"s"`, `1`, `{"a":1}x`, `{"a":1} `, ` {"a":1}`, `{"a" :1}`, `{"a":01}`,
	`{"a":1.}`, `{"a":-}`, `{"a":+1}`, `{"a":1e}`, `{"a":.5}`, `{"a":0x10}`, `{"a":Infinity}`,
	`{"a":"\x`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, `{"a":"\q"}`, `{"a":"` + "\x01" + `"}`, `{"a":tru}`,
	"{\"bad\":\"\xff\"}", "{\"ok\":\"\xc3\xa9\"}", "{\"k\xfe\":1}", "{\"a\":\"\xed\xa0\x80\"}",
	`{"a":[1,]}`, `{"a":{"b":1,}}`, `{`, `{"a":`, `{"a":1,`, ``,
	strings.Repeat(`{"a":`, 300) + `1` + strings.Repeat(`}`, 300),
	`{"a":` + strings.Repeat(`[`, 300) + strings.Repeat(`]`, 300) + `}`,
}

// sameAsUnmarshal fails t unless DecodeArguments gives for data exactly
// what encoding/json gives: the same values (down to the sign of a zero
// and an empty slice against a nil one) and the same error.
func sameAsUnmarshal(t *testing.T, data []byte) {
	t.Helper()
	got, gotErr := DecodeArguments(data)
	var want map[string]any
	wantErr := json.Unmarshal(data, &want)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
		t.Fatalf("%q: error %v, encoding/json's %v", data, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) || fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
		t.Fatalf("%q:\n got %#v\nwant %#v", data, got, want)
	}
}

func TestDecodeArgumentsSameAsUnmarshal(t *testing.T) {
	for _, s := range argumentSeeds {
		sameAsUnmarshal(t, []byte(s))
	}
}

// TestDecodeArgumentsOfRead decodes what Read makes of requests: the
// canonical form, decoded directly.
func TestDecodeArgumentsOfRead(t *testing.T) {
	for _, s := range argumentSeeds {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":` + s + `}}`
		b, err := Read([]byte(body))
		if err != nil {
			continue
		}
		sameAsUnmarshal(t, b.Messages[0].Arguments)
	}
}

// FuzzDecodeArguments holds DecodeArguments to encoding/json on any text,
// and on the canonical arguments Read makes of it.
func FuzzDecodeArguments(f *testing.F) {
	for _, s := range argumentSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsUnmarshal(t, data)
		body := append(append([]byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":`), data...), `}}`...)
		if b, err := Read(body); err == nil && b.Messages[0].Arguments != nil {
			sameAsUnmarshal(t, b.Messages[0].Arguments)
		}
	})
}

func BenchmarkDecodeArguments(b *testing.B) {
	data := []byte(`{"snippetname":"greeting"}`)
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeArguments(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}
