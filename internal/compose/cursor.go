package compose

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
)

// cursor is the composed server's pagination cursor: the offset of the
// next item and the key of the last one given, so that a page starts
// after that item even if an earlier one went away.
type cursor struct {
	Method string `json:"m"`
	Offset int    `json:"o"`
	After  string `json:"a"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor strictly: anything the server did not
// write is refused.
func decodeCursor(s, method string) (cursor, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c cursor
	if dec.Decode(&c) != nil || dec.More() || c.Method != method || c.Offset < 1 || c.After == "" {
		return cursor{}, false
	}
	return c, encodeCursor(c) == s
}

// readCursor takes the client's cursor out of a list request's params:
// the params to send members (without it) and the cursor, if any. A cursor
// that is not one string the server wrote is refused.
func readCursor(params []byte, method string) ([]byte, cursor, bool) {
	raw, found, err := getMember(params, "cursor")
	if err != nil {
		return nil, cursor{}, false
	}
	if !found {
		return params, cursor{}, true
	}
	var str string
	if json.Unmarshal(raw, &str) != nil {
		return nil, cursor{}, false
	}
	c, ok := decodeCursor(str, method)
	if !ok {
		return nil, cursor{}, false
	}
	params, err = deleteMember(params, "cursor")
	return params, c, err == nil
}
