package stdio

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// The bridge rewrites a few fields inside params and results: request ids
// that other messages refer to (notifications/cancelled, subscription ids)
// and progress tokens, which a client picks freely and which would collide
// between the sessions of one process. The rest of a message is passed
// through as raw JSON, so fields this package does not know survive.

// field returns obj[key] when obj is a JSON object holding key.
func field(obj json.RawMessage, key string) (json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if !isObject(obj) || json.Unmarshal(obj, &m) != nil {
		return nil, false
	}
	v, ok := m[key]
	return v, ok
}

// withField returns obj with obj[key] = v. A value that is not an object is
// returned unchanged: the peer will reject it on its own terms.
func withField(obj json.RawMessage, key string, v json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if !isObject(obj) || json.Unmarshal(obj, &m) != nil {
		return obj
	}
	m[key] = v
	out, err := json.Marshal(m)
	if err != nil {
		return obj
	}
	return out
}

// metaField returns obj._meta[key]. Most messages have no such key, so a
// byte search comes first and spares decoding large params; it assumes
// the key is not written with \u escapes, which no JSON encoder does for
// these ASCII names.
func metaField(obj json.RawMessage, key string) (json.RawMessage, bool) {
	if !bytes.Contains(obj, []byte(key)) {
		return nil, false
	}
	meta, ok := field(obj, "_meta")
	if !ok {
		return nil, false
	}
	return field(meta, key)
}

// withMetaField returns obj with obj._meta[key] = v; obj must already have
// a _meta object (we only ever replace values that are there).
func withMetaField(obj json.RawMessage, key string, v json.RawMessage) json.RawMessage {
	meta, ok := field(obj, "_meta")
	if !ok {
		return obj
	}
	return withField(obj, "_meta", withField(meta, key, v))
}

func isObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

// stringField decodes obj[key] as a string.
func stringField(obj json.RawMessage, key string) (string, bool) {
	raw, ok := field(obj, key)
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// decode decodes one JSON-RPC message strictly: the SDK's decoder is
// lenient about trailing bytes and accepts an empty method, which would
// not survive re-encoding.
func decode(raw []byte) (jsonrpc.Message, error) {
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

// rawID is the JSON form of a request id, for fields that carry one.
func rawID(id jsonrpc.ID) json.RawMessage {
	b, _ := json.Marshal(id.Raw())
	return b
}

// idOf decodes a JSON request id (string or number).
func idOf(raw json.RawMessage) (jsonrpc.ID, bool) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return jsonrpc.ID{}, false
	}
	id, err := jsonrpc.MakeID(v)
	return id, err == nil && id.IsValid()
}

// upstreamID reads the id the bridge gave a request on its way to the
// process: always a number.
func upstreamID(id jsonrpc.ID) (int64, bool) {
	n, ok := id.Raw().(int64)
	return n, ok
}

// bridgeToken is the progress token the bridge substitutes for a client's.
// It is a string the bridge alone mints, so it cannot collide with another
// session's token.
func bridgeToken(up int64) json.RawMessage {
	return json.RawMessage(strconv.Quote("drawbridge-" + strconv.FormatInt(up, 10)))
}

// tokenKey normalises a progress token for lookup; only the bridge's own
// (string) tokens are ever looked up.
func tokenKey(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// encode renders a message as one line of JSON. Raw params and results
// pass through the encoder, which may keep a peer's formatting; a newline
// inside would break stdio framing and SSE data lines alike (stdio: "MUST
// NOT contain embedded newlines"), so such a message is compacted.
func encode(msg jsonrpc.Message) ([]byte, error) {
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
