package server

import (
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// render writes v for a golden file, the same on every run: struct fields
// by name, map entries by key. What the Options only carry, and which was
// built elsewhere (stores, keys, clients, loggers, closures), is a marker
// naming its type, or nil: a golden file shows which part goes where, never
// a part's inside.
func render(v any) string {
	var b strings.Builder
	renderValue(&b, reflect.ValueOf(v), 0)
	return b.String()
}

var urlType = reflect.TypeFor[*url.URL]()

func renderValue(b *strings.Builder, v reflect.Value, depth int) {
	if !v.IsValid() {
		b.WriteString(" nil\n")
		return
	}
	if v.Type() == urlType {
		if v.IsNil() {
			b.WriteString(" nil\n")
		} else {
			b.WriteString(" " + strconv.Quote(v.Interface().(*url.URL).String()) + "\n")
		}
		return
	}
	if s, ok := asString(v); ok {
		b.WriteString(" " + s + "\n")
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		renderInterface(b, v, depth)
	case reflect.Pointer, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		if v.IsNil() {
			b.WriteString(" nil\n")
		} else {
			fmt.Fprintf(b, " <%s>\n", v.Type())
		}
	case reflect.Struct:
		renderStruct(b, v, depth)
	case reflect.Slice, reflect.Array:
		renderSlice(b, v, depth)
	case reflect.Map:
		renderMap(b, v, depth)
	default:
		fmt.Fprintf(b, " <%s>\n", v.Type())
	}
}

// asString renders scalars and values that name themselves (durations,
// network prefixes).
func asString(v reflect.Value) (string, bool) {
	if v.Type() == reflect.TypeFor[time.Duration]() {
		return v.Interface().(time.Duration).String(), true
	}
	if v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface && v.CanInterface() {
		if s, ok := v.Interface().(fmt.Stringer); ok {
			return s.String(), true
		}
	}
	switch v.Kind() {
	case reflect.String:
		return strconv.Quote(v.String()), true
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return fmt.Sprint(v.Interface()), true
	}
	return "", false
}

// renderInterface shows the list inside an interface (audit.Tee, the
// emitters it feeds), and otherwise only the type of what it holds.
func renderInterface(b *strings.Builder, v reflect.Value, depth int) {
	switch e := v.Elem(); {
	case !e.IsValid():
		b.WriteString(" nil\n")
	case e.Kind() == reflect.Slice:
		renderValue(b, e, depth)
	default:
		fmt.Fprintf(b, " <%s>\n", e.Type())
	}
}

func renderStruct(b *strings.Builder, v reflect.Value, depth int) {
	b.WriteString("\n")
	t := v.Type()
	for i := range t.NumField() {
		if !t.Field(i).IsExported() {
			continue
		}
		indent(b, depth+1)
		b.WriteString(t.Field(i).Name + ":")
		renderValue(b, v.Field(i), depth+1)
	}
}

func renderSlice(b *strings.Builder, v reflect.Value, depth int) {
	switch {
	case v.Kind() == reflect.Slice && v.IsNil():
		b.WriteString(" nil\n")
		return
	case v.Len() == 0:
		b.WriteString(" []\n")
		return
	case v.Type().Elem().Kind() == reflect.Uint8:
		// Key material: its length only.
		fmt.Fprintf(b, " <%d bytes>\n", v.Len())
		return
	}
	b.WriteString("\n")
	for i := range v.Len() {
		indent(b, depth+1)
		fmt.Fprintf(b, "[%d]:", i)
		renderValue(b, v.Index(i), depth+1)
	}
}

func renderMap(b *strings.Builder, v reflect.Value, depth int) {
	switch {
	case v.IsNil():
		b.WriteString(" nil\n")
		return
	case v.Len() == 0:
		b.WriteString(" {}\n")
		return
	}
	keys := v.MapKeys()
	sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
	b.WriteString("\n")
	for _, k := range keys {
		indent(b, depth+1)
		fmt.Fprintf(b, "[%q]:", fmt.Sprint(k))
		renderValue(b, v.MapIndex(k), depth+1)
	}
}

func indent(b *strings.Builder, depth int) { b.WriteString(strings.Repeat("  ", depth)) }

// TestRender: the renderer itself, since every golden file depends on it.
func TestRender(t *testing.T) {
	type inner struct {
		Name string
		Wait time.Duration
	}
	type sample struct {
		S        string
		N        int
		On       bool
		Ptr      *inner
		NilPtr   *inner
		Fn       func()
		NilFn    func()
		URL      *url.URL
		Any      any
		NilAny   any
		AnyList  any
		Bytes    []byte
		List     []inner
		Empty    []string
		Nil      []string
		Map      map[string]int
		hidden   int
		Embedded inner
	}
	u, _ := url.Parse("https://example.com/mcp")
	got := render(sample{S: "a\"b", N: 3, On: true, Ptr: &inner{}, Fn: func() {}, URL: u, Any: inner{Name: "x"}, AnyList: []any{&inner{}, 2}, Bytes: make([]byte, 32),
		List: []inner{{Name: "one", Wait: time.Second}}, Empty: []string{}, Map: map[string]int{"b": 2, "a": 1}, hidden: 9})
	want := `
  S: "a\"b"
  N: 3
  On: true
  Ptr: <*server.inner>
  NilPtr: nil
  Fn: <func()>
  NilFn: nil
  URL: "https://example.com/mcp"
  Any: <server.inner>
  NilAny: nil
  AnyList:
    [0]: <*server.inner>
    [1]: <int>
  Bytes: <32 bytes>
  List:
    [0]:
      Name: "one"
      Wait: 1s
  Empty: []
  Nil: nil
  Map:
    ["a"]: 1
    ["b"]: 2
  Embedded:
    Name: ""
    Wait: 0s
`
	if got != want {
		t.Errorf("render:\n%s\nwant:\n%s", got, want)
	}
}
