package stdio

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The 2026-07-28 revision has no sessions: each POST carries one request
// with its protocol version, client info and capabilities in _meta, and
// the stdio transport carries the same metadata inline (2026-07-28
// basic/transports/stdio §"Request Metadata"). So such a request can be
// relayed to any process that speaks 2026-07-28, and the bridge relays it
// to one shared "stateless" process. That process is separate from the
// Shared-mode process of legacy sessions: a server that has served
// sessionless requests may refuse a later initialize (the Go SDK does).
//
// In per-session mode every 2026-07-28 request is refused with
// UnsupportedProtocolVersion listing the session-based versions, as the Go
// SDK's stateful handler does; clients then fall back to initialize and a
// session of their own (2026-07-28 streamable-http §"Backward
// Compatibility"), which keeps per-session isolation. The same happens in
// Shared mode once the server has shown that it does not speak 2026-07-28.

// discoverTimeout bounds the wait for server/discover: legacy servers may
// never answer an unknown request sent before initialize, and the spec has
// clients treat silence as "legacy" (stdio §"Backward Compatibility").
const discoverTimeout = 10 * time.Second

// isModern reports a request of the 2026-07-28 era: by header, or by the
// per-request _meta protocol version.
func isModern(version string, msgs []jsonrpc.Message) bool {
	if version >= version20260728 {
		return true
	}
	for _, msg := range msgs {
		if req, ok := msg.(*jsonrpc.Request); ok {
			if _, ok := metaField(req.Params, mcp.MetaKeyProtocolVersion); ok {
				return true
			}
		}
	}
	return false
}

func (b *Bridge) postModern(w http.ResponseWriter, r *http.Request, msgs []jsonrpc.Message, batch bool, version string) {
	req, ok := msgs[0].(*jsonrpc.Request)
	if batch || !ok {
		// "The body of the HTTP POST MUST be a single JSON-RPC request or
		// notification."
		writeError(w, http.StatusBadRequest, jsonrpc.ID{}, jsonrpc.CodeInvalidRequest, "the body must be one JSON-RPC request or notification", nil)
		return
	}
	if !req.IsCall() {
		// No client notification is defined for this transport (2026-07-28
		// streamable-http §"Sending Messages", note) and one cannot be tied
		// to anything without a session: accepted and dropped.
		w.WriteHeader(http.StatusAccepted)
		return
	}
	b.mu.Lock()
	off := b.opt.Mode == PerSession || b.modernOff
	b.mu.Unlock()
	if off {
		writeUnsupported(w, req.ID, version, legacyVersions())
		return
	}
	if code, msg := checkModernHeaders(r.Header, req, version); code != 0 {
		writeError(w, http.StatusBadRequest, req.ID, code, msg, nil)
		return
	}
	if !knownVersion(version) {
		writeUnsupported(w, req.ID, version, mcp.SupportedProtocolVersions())
		return
	}
	m := b.sharedMux(true)
	if m == nil {
		writeError(w, http.StatusServiceUnavailable, req.ID, jsonrpc.CodeInternalError, errClosed.Error(), nil)
		return
	}
	s := &session{m: m}
	m.attach(s)
	// Closing the response stream cancels the request (2026-07-28
	// streamable-http §Cancellation): whatever is still in flight when the
	// stream ends is cancelled at the process.
	defer m.detach(s, errCancelled)
	st := newPostStream(1, true)
	s.addPost(st)
	if err := m.call(r.Context(), s, st, req); err != nil {
		st.push(callError(req.ID, err), true, jsonrpc.CodeInternalError)
	}
	var expire <-chan time.Time
	if req.Method == methodDiscover {
		t := time.NewTimer(discoverTimeout)
		defer t.Stop()
		expire = t.C
	}
	b.serveStream(w, r, st, true, expire, func() {
		b.markLegacyOnly("no answer to server/discover")
		st.push(unsupportedResponse(req.ID, version, legacyVersions()), true, mcp.CodeUnsupportedProtocolVersion)
	})
}

var errCancelled = fmt.Errorf("the client closed the request's stream")

// checkModernHeaders checks the request metadata headers against the body
// (2026-07-28 streamable-http §"Request Metadata", §"Server Validation"):
// the version must match _meta, Mcp-Method the method, and Mcp-Name the
// tool, prompt or resource named in params. It returns a JSON-RPC error
// code and message, or 0.
func checkModernHeaders(h http.Header, req *jsonrpc.Request, version string) (int64, string) {
	var meta string
	if raw, ok := metaField(req.Params, mcp.MetaKeyProtocolVersion); ok {
		_ = json.Unmarshal(raw, &meta)
	}
	switch {
	case meta == "":
		return jsonrpc.CodeInvalidParams, "missing _meta " + mcp.MetaKeyProtocolVersion
	case version == "":
		return mcp.CodeHeaderMismatch, "the MCP-Protocol-Version header is required"
	case version != meta:
		return mcp.CodeHeaderMismatch, fmt.Sprintf("MCP-Protocol-Version header %q does not match _meta %q", version, meta)
	case h.Get(headerMethod) != req.Method:
		return mcp.CodeHeaderMismatch, fmt.Sprintf("Mcp-Method header %q does not match method %q", h.Get(headerMethod), req.Method)
	}
	key := map[string]string{"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}[req.Method]
	if key == "" {
		return 0, ""
	}
	name, _ := stringField(req.Params, key)
	if got, ok := decodeHeader(h.Get(headerName)); !ok || got != name {
		return mcp.CodeHeaderMismatch, fmt.Sprintf("Mcp-Name header does not match params.%s", key)
	}
	return 0, ""
}

// decodeHeader undoes the "=?base64?…?=" form clients use for values that
// are not plain ASCII (2026-07-28 streamable-http §"Value Encoding").
func decodeHeader(v string) (string, bool) {
	inner, ok := strings.CutPrefix(v, "=?base64?")
	if !ok {
		return v, true
	}
	inner, ok = strings.CutSuffix(inner, "?=")
	if !ok {
		return v, true
	}
	dec, err := base64.StdEncoding.DecodeString(inner)
	return string(dec), err == nil
}

// speaksModern reports whether a DiscoverResult lists a 2026-07-28-era
// version this bridge knows.
func speaksModern(result json.RawMessage) bool {
	var res struct {
		SupportedVersions []string `json:"supportedVersions"`
	}
	if json.Unmarshal(result, &res) != nil {
		return false
	}
	for _, v := range res.SupportedVersions {
		if v >= version20260728 && knownVersion(v) {
			return true
		}
	}
	return false
}

func knownVersion(v string) bool {
	for _, known := range mcp.SupportedProtocolVersions() {
		if v == known {
			return true
		}
	}
	return false
}

func legacyVersions() []string {
	var out []string
	for _, v := range mcp.SupportedProtocolVersions() {
		if v < version20260728 {
			out = append(out, v)
		}
	}
	return out
}

// writeUnsupported answers with UnsupportedProtocolVersionError (2026-07-28
// streamable-http §"Protocol Version Header": 400 and the supported list).
func writeUnsupported(w http.ResponseWriter, id jsonrpc.ID, requested string, supported []string) {
	writeJSONBody(w, http.StatusBadRequest, unsupportedResponse(id, requested, supported))
}

func unsupportedResponse(id jsonrpc.ID, requested string, supported []string) []byte {
	data, _ := json.Marshal(mcp.UnsupportedProtocolVersionData{Supported: supported, Requested: requested})
	body, _ := encode(&jsonrpc.Response{ID: id, Error: &jsonrpc.Error{
		Code:    mcp.CodeUnsupportedProtocolVersion,
		Message: fmt.Sprintf("protocol version %q is not supported by this server", requested),
		Data:    data,
	}})
	return body
}
