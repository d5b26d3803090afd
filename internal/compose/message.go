package compose

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// The composed server passes params and results through as raw JSON and
// rewrites only the members it must (a tool's "name", a request's id), by
// splicing the new value into the original bytes: every other byte a
// client or member sent reaches the other side as it was sent.

// decodeMessage decodes one JSON-RPC message strictly: the SDK's decoder
// is lenient about trailing bytes and an empty method, which would not
// survive re-encoding.
func decodeMessage(raw []byte) (jsonrpc.Message, error) {
	if !json.Valid(raw) {
		return nil, errors.New("invalid JSON")
	}
	msg, err := jsonrpc.DecodeMessage(raw)
	if err != nil {
		return nil, err
	}
	if req, ok := msg.(*jsonrpc.Request); ok && req.Method == "" {
		return nil, errors.New("invalid request: empty method")
	}
	return msg, nil
}

// encodeMessage renders a message as one line of JSON: a newline inside
// would break an SSE data line.
func encodeMessage(msg jsonrpc.Message) ([]byte, error) {
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return nil, err
	}
	if bytes.ContainsAny(data, "\r\n") {
		var buf bytes.Buffer
		if err := json.Compact(&buf, data); err != nil {
			return nil, err
		}
		data = buf.Bytes()
	}
	return data, nil
}

// errDuplicateMember: an object names one member twice, which two JSON
// parsers may read differently; it is refused, never guessed at.
var errDuplicateMember = errors.New("duplicate member")

// memberSpan finds the top-level member key of the JSON object obj and
// returns the byte range of its value; found is false when obj has none.
// obj that is not an object, or names key twice, is an error.
func memberSpan(obj []byte, key string) (start, end int, found bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, 0, false, errors.New("not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return 0, 0, false, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return 0, 0, false, err
		}
		if tok.(string) != key {
			continue
		}
		if found {
			return 0, 0, false, fmt.Errorf("%w %q", errDuplicateMember, key)
		}
		end = int(dec.InputOffset())
		start, found = end-len(raw), true
	}
	if _, err := dec.Token(); err != nil {
		return 0, 0, false, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return 0, 0, false, errors.New("data after the JSON object")
	}
	return start, end, found, nil
}

// member returns obj[key].
func getMember(obj []byte, key string) (json.RawMessage, bool, error) {
	start, end, found, err := memberSpan(obj, key)
	if err != nil || !found {
		return nil, false, err
	}
	return json.RawMessage(obj[start:end]), true, nil
}

// stringMember decodes obj[key] as a string; ok is false when it is
// absent or not a string.
func stringMember(obj []byte, key string) (string, bool) {
	raw, found, err := getMember(obj, key)
	if err != nil || !found {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// setMember returns obj with obj[key] = val, splicing val over the old
// value or adding the member first; the rest of obj is kept byte for
// byte.
func setMember(obj []byte, key string, val []byte) ([]byte, error) {
	start, end, found, err := memberSpan(obj, key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(obj)+len(key)+len(val)+4)
	if found {
		out = append(out, obj[:start]...)
		out = append(out, val...)
		return append(out, obj[end:]...), nil
	}
	open := bytes.IndexByte(obj, '{')
	k, _ := json.Marshal(key)
	out = append(out, obj[:open+1]...)
	out = append(out, k...)
	out = append(out, ':')
	out = append(out, val...)
	rest := obj[open+1:]
	if len(bytes.TrimSpace(rest)) > 1 { // more than the closing brace
		out = append(out, ',')
	}
	return append(out, rest...), nil
}

// deleteMember returns obj without obj[key].
func deleteMember(obj []byte, key string) ([]byte, error) {
	var m map[string]json.RawMessage
	if _, _, found, err := memberSpan(obj, key); err != nil || !found {
		return obj, err
	}
	if err := json.Unmarshal(obj, &m); err != nil {
		return nil, err
	}
	delete(m, key)
	return json.Marshal(m)
}

func quote(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// idKey is a request id as a map key: "7" and 7 are different ids.
func idKey(id jsonrpc.ID) string {
	switch v := id.Raw().(type) {
	case string:
		return "s" + v
	case int64:
		return "n" + strconv.FormatInt(v, 10)
	}
	return ""
}

// errorBody builds the JSON-RPC error response that answers id.
func errorBody(id jsonrpc.ID, code int64, msg string, data json.RawMessage) []byte {
	body, err := encodeMessage(&jsonrpc.Response{ID: id, Error: &jsonrpc.Error{Code: code, Message: msg, Data: data}})
	if err != nil {
		body, _ = encodeMessage(&jsonrpc.Response{ID: id, Error: &jsonrpc.Error{Code: code, Message: msg}})
	}
	return body
}

// resultBody builds the response that answers id with result.
func resultBody(id jsonrpc.ID, result any) []byte {
	raw, err := json.Marshal(result)
	if err != nil {
		return errorBody(id, jsonrpc.CodeInternalError, "cannot encode the result", nil)
	}
	body, err := encodeMessage(&jsonrpc.Response{ID: id, Result: raw})
	if err != nil {
		return errorBody(id, jsonrpc.CodeInternalError, "cannot encode the result", nil)
	}
	return body
}

// paramsObject returns params, or {} when the request has none.
func paramsObject(p json.RawMessage) []byte {
	if len(bytes.TrimSpace(p)) == 0 || bytes.Equal(bytes.TrimSpace(p), []byte("null")) {
		return []byte("{}")
	}
	return p
}
