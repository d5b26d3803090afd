package audit

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// sameAsEncodingJSON fails unless marshalEvent and marshalLine give what
// encoding/json gives for e: the same bytes, or an error from both.
func sameAsEncodingJSON(t *testing.T, e Event) {
	t.Helper()
	got, gotErr := marshalEvent(&e)
	want, wantErr := json.Marshal(e)
	if (gotErr != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
		t.Fatalf("event %#v:\n got %s (%v)\nwant %s (%v)", e, got, gotErr, want, wantErr)
	}
	// After other events in one buffer, as the recorder encodes a batch:
	// a fallback to encoding/json must replace what appendEvent began.
	prefix := []byte(`{"earlier":1}`)
	buf := append(make([]byte, 0, 4096), prefix...)
	got, gotErr = appendMarshalEvent(buf, &e)
	if (gotErr != nil) != (wantErr != nil) || !bytes.Equal(got, append(prefix, want...)) {
		t.Fatalf("event %#v appended:\n got %s (%v)\nwant %s%s (%v)", e, got, gotErr, prefix, want, wantErr)
	}
	for _, l := range []line{{Event: e}, {Event: e, Seq: 42, Seal: "ab<>"}, {Event: e, Seq: -1}} {
		got, gotErr := marshalLine(&l)
		want, wantErr := json.Marshal(l)
		if (gotErr != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("line %#v:\n got %s (%v)\nwant %s (%v)", l, got, gotErr, want, wantErr)
		}
	}
}

// Values for each kind of field, ordinary and awkward: strings that need
// every kind of escape, numbers at the edges of their formats, times in
// and out of RFC 3339's range, arguments that are and are not JSON.
var (
	strValues = []string{"", "plain", "quote\" back\\slash", "<html> & co", "ctl \x00\x01\x1f\b\f\n\r\t", "bad \xff\xfe utf8",
		"sep \u2028 \u2029", "é ü 漢字 🙂", "\x7f del"}
	intValues   = []int64{0, 1, -1, 499, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64}
	floatValues = []float64{0, math.Copysign(0, -1), 1, -2.5, 0.001, 1.234, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 1.5e300,
		math.SmallestNonzeroFloat64, math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1)}
	timeValues = []time.Time{{}, time.Unix(1700000000, 123456789).UTC(), time.Unix(1700000000, 0).In(time.FixedZone("x", -7*3600-30*60)),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("far", 24*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("near", 23*3600+59*60))}
	rawValues = []json.RawMessage{nil, {}, json.RawMessage(`{"a": [1, 2 ,"<b>&"], "c" : null}`), json.RawMessage(`"\u2028 x"`),
		json.RawMessage(`{"a":`), json.RawMessage(`1 2`), json.RawMessage(" true ")}
)

// setField sets field i of e to the k-th value of its kind.
func setField(e *Event, i, k int) {
	f := reflect.ValueOf(e).Elem().Field(i)
	switch f.Interface().(type) {
	case string:
		f.SetString(strValues[k%len(strValues)])
	case int, int64:
		f.SetInt(intValues[k%len(intValues)])
	case float64:
		f.SetFloat(floatValues[k%len(floatValues)])
	case time.Time:
		f.Set(reflect.ValueOf(timeValues[k%len(timeValues)]))
	case json.RawMessage:
		f.Set(reflect.ValueOf(rawValues[k%len(rawValues)]))
	default:
		panic("audit.Event has a field of a kind the encoder test does not know: " + f.Type().String())
	}
}

// Every field alone with every value of its kind; every field at once;
// and thousands of random combinations.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	n := reflect.TypeFor[Event]().NumField()
	for i := range n {
		for k := range 32 {
			var e Event
			setField(&e, i, k)
			sameAsEncodingJSON(t, e)
		}
	}
	var all Event
	for i := range n {
		setField(&all, i, i+1)
	}
	sameAsEncodingJSON(t, all)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		var e Event
		for i := range n {
			if rng.IntN(3) == 0 {
				setField(&e, i, rng.IntN(64))
			}
		}
		sameAsEncodingJSON(t, e)
	}
}

func FuzzEncodeEvent(f *testing.F) {
	f.Add("mcp.request", "tools/call", "<x>\u2028", int64(200), 1.25, int64(1700000000123456789), 3600, []byte(`{"a":1}`))
	f.Add("", "\xff", "\x00", int64(-1), 1e-9, int64(-62135596800000000), -86399, []byte(`{`))
	f.Fuzz(func(t *testing.T, a, b, c string, n int64, d float64, nanos int64, zone int, args []byte) {
		e := Event{Time: time.Unix(0, nanos).In(time.FixedZone("z", zone)), Type: a, RequestID: b, Subject: c, ClientID: a + c,
			Method: b, Name: c, Detail: a, Status: int(n), DurationMS: d, Count: int(n >> 3), BytesIn: n, BytesOut: -n}
		if len(args) > 0 {
			e.Arguments = args
		}
		sameAsEncodingJSON(t, e)
	})
}
