package audit

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// The audit trail encodes every event it records, one per MCP message on
// a busy gateway, so it does so without reflection: appendEvent writes
// the bytes encoding/json would write for an Event (same field order, same
// omitempty, same string escaping, numbers and time format), which
// TestEncodeMatchesEncodingJSON and FuzzEncodeEvent hold it to. The few
// values encoding/json refuses (a time outside RFC 3339, a duration that
// is not a number, arguments that are not JSON) go to encoding/json, so
// that they fail as they always did.

// marshalEvent is json.Marshal(e), without reflection for every event
// that can be encoded.
func marshalEvent(e *Event) ([]byte, error) {
	return appendMarshalEvent(make([]byte, 0, 512), e)
}

// appendMarshalEvent appends json.Marshal(e) to b.
func appendMarshalEvent(b []byte, e *Event) ([]byte, error) {
	out, ok := appendEvent(b, e)
	if ok {
		return append(out, '}'), nil
	}
	j, err := json.Marshal(e)
	return append(b, j...), err // over what appendEvent left in b's capacity
}

// marshalLine is json.Marshal(l) for the JSON-lines form.
func marshalLine(l *line) ([]byte, error) {
	b, ok := appendEvent(make([]byte, 0, 600), &l.Event)
	if !ok {
		return json.Marshal(l)
	}
	if l.Seq != 0 {
		b = strconv.AppendInt(append(b, `,"seq":`...), l.Seq, 10)
	}
	b = appendStringField(b, "seal", l.Seal)
	return append(b, '}'), nil
}

// appendEvent appends e's object without its closing brace; false when
// e holds a value only encoding/json may decide about.
func appendEvent(b []byte, e *Event) ([]byte, bool) {
	if !encodableTime(e.Time) || math.IsNaN(e.DurationMS) || math.IsInf(e.DurationMS, 0) {
		return b, false
	}
	b = append(b, `{"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	b = append(b, `,"type":`...)
	b = appendString(b, e.Type)
	for _, f := range [...]struct{ name, v string }{
		{"request_id", e.RequestID}, {"attempt", e.Attempt}, {"sub", e.Subject}, {"client_id", e.ClientID},
		{"grant_id", e.GrantID}, {"actor", e.Actor}, {"remote", e.Remote}, {"user_agent", e.UserAgent},
		{"grant_type", e.GrantType}, {"scope", e.Scope}, {"resource", e.Resource}, {"idp", e.IdP},
		{"assertion_id", e.AssertionID}, {"audience", e.Audience}, {"server", e.Server}, {"method", e.Method}, {"name", e.Name},
		{"backend", e.Backend}, {"backend_name", e.BackendName},
		{"tool_hash", e.ToolHash}, {"decision", e.Decision}, {"rule", e.Rule}, {"reason", e.Reason},
		{"detail", e.Detail},
	} {
		b = appendStringField(b, f.name, f.v)
	}
	if e.Status != 0 {
		b = strconv.AppendInt(append(b, `,"status":`...), int64(e.Status), 10)
	}
	if e.DurationMS != 0 {
		b = appendFloat(append(b, `,"duration_ms":`...), e.DurationMS)
	}
	if e.Count != 0 {
		b = strconv.AppendInt(append(b, `,"count":`...), int64(e.Count), 10)
	}
	if e.BytesIn != 0 {
		b = strconv.AppendInt(append(b, `,"bytes_in":`...), e.BytesIn, 10)
	}
	if e.BytesOut != 0 {
		b = strconv.AppendInt(append(b, `,"bytes_out":`...), e.BytesOut, 10)
	}
	if len(e.Arguments) > 0 {
		var ok bool
		if b, ok = appendRaw(append(b, `,"arguments":`...), e.Arguments); !ok {
			return b, false
		}
	}
	return b, true
}

// encodableTime: time.Time.MarshalJSON refuses years outside 0–9999 and
// zone offsets of a day or more (RFC 3339 has no room for them).
func encodableTime(t time.Time) bool {
	_, off := t.Zone()
	return t.Year() >= 0 && t.Year() <= 9999 && off > -24*3600 && off < 24*3600
}

func appendStringField(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

// appendFloat formats a float64 as encoding/json does (ES6 number to
// string: 'f' unless very small or large, exponents unpadded).
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if n := len(b); format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		b[n-2] = b[n-1]
		b = b[:n-1]
	}
	return b
}

// appendRaw appends a json.RawMessage as encoding/json does: compacted,
// with <, >, &, U+2028 and U+2029 escaped; false when it is not JSON.
func appendRaw(b, raw []byte) ([]byte, bool) {
	if !json.Valid(raw) {
		return b, false
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return b, false
	}
	var escaped bytes.Buffer
	json.HTMLEscape(&escaped, compact.Bytes())
	return append(b, escaped.Bytes()...), true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it by default: quotes, backslashes and control characters;
// <, > and & (HTML safety); invalid UTF-8 as U+FFFD; U+2028 and U+2029.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
