package gateway

import (
	"bytes"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
)

// decideBatch handles a JSON-RPC batch (MCP 2025-03-26) whose messages
// were each decided on: all allowed, it goes on as it is; otherwise the
// refused messages are answered by the gateway and never forwarded, and
// the rest go on as a smaller batch whose answer the refusals are merged
// into (see reply). Refused notifications and responses get no answer, as
// JSON-RPC gives them none.
func (rt *route) decideBatch(x *exchange) bool {
	var allowed [][]byte
	var errs [][]byte
	msgs := x.body.Messages
	for i := range msgs {
		v := &x.verdicts[i]
		if v.reason == "" {
			allowed = append(allowed, msgs[i].Raw)
		} else if msgs[i].IsRequest() {
			errs = append(errs, jsonrpc.ErrorResponse(msgs[i].ID, refusalError(&msgs[i], v)))
		}
	}
	if len(allowed) == len(msgs) {
		return true
	}
	if len(allowed) == 0 {
		if len(errs) == 0 {
			x.w.WriteHeader(http.StatusAccepted)
			return false
		}
		writeJSON(x.w, http.StatusOK, joinArray(errs))
		return false
	}
	x.extra = errs
	x.setBody(joinArray(allowed))
	return true
}

// joinArray makes a JSON array of encoded values.
func joinArray(items [][]byte) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(bytes.TrimRight(it, "\n"))
	}
	b.WriteByte(']')
	return b.Bytes()
}
