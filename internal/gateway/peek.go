package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// message is what the gateway reads from a JSON-RPC request body: enough to
// check the MCP request headers against it (and, later, to apply policy).
// encoding/json skips every other field without building values for it.
type message struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Name      string          `json:"name"`
		URI       string          `json:"uri"`
		Arguments json.RawMessage `json:"arguments"`
		Meta      struct {
			ProtocolVersion string `json:"io.modelcontextprotocol/protocolVersion"`
		} `json:"_meta"`
	} `json:"params"`
	// batch is set when the body is a JSON array (2025-03-26 batches),
	// which is passed through without header checks.
	batch bool
	// parsed is false when the body was not a JSON object or array.
	parsed bool
}

var errTooLarge = errors.New("request body too large")

// readBody reads a request body of at most limit bytes into memory and
// leaves r.Body readable again for the proxy.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return body, nil
}

// peek decodes the parts of a JSON-RPC body the gateway needs.
func peek(body []byte) message {
	var m message
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		m.batch, m.parsed = true, true
		return m
	}
	m.parsed = json.Unmarshal(body, &m) == nil
	return m
}

// modernVersion is the first protocol revision whose requests carry the
// Mcp-Method and Mcp-Name headers.
const modernVersion = "2026-07-28"

// checkHeaders enforces MCP 2026-07-28 "Server Validation": headers that
// mirror the body must match it, before anything relies on either. A
// gateway that routed or authorised on a header while the backend executed
// the body could be fooled by a request whose two disagree.
func checkHeaders(h http.Header, m *message) error {
	if !m.parsed || m.batch {
		return nil
	}
	version := h.Get("MCP-Protocol-Version")
	if v := m.Params.Meta.ProtocolVersion; v != "" && version != "" && v != version {
		return fmt.Errorf("MCP-Protocol-Version header %q does not match the request's protocol version %q", version, v)
	}
	method, hasMethod := h.Get("Mcp-Method"), len(h.Values("Mcp-Method")) > 0
	if !hasMethod {
		if version >= modernVersion && m.Method != "" && len(m.ID) > 0 {
			return errors.New("the Mcp-Method header is required")
		}
		return nil
	}
	if method != m.Method {
		return fmt.Errorf("Mcp-Method header %q does not match the body's method %q", clip(method), clip(m.Method))
	}
	want, named := nameOf(m)
	values := h.Values("Mcp-Name")
	switch {
	case !named && len(values) == 0:
		return nil
	case !named:
		return fmt.Errorf("Mcp-Name header is not expected for %s", clip(m.Method))
	case len(values) != 1:
		return errors.New("exactly one Mcp-Name header is required for " + m.Method)
	}
	got, err := decodeHeaderValue(values[0])
	if err != nil {
		return fmt.Errorf("Mcp-Name header: %v", err)
	}
	if got != want {
		return fmt.Errorf("Mcp-Name header %q does not match the body's %q", clip(got), clip(want))
	}
	return nil
}

// nameOf returns the body value Mcp-Name mirrors, for the methods that have one.
func nameOf(m *message) (string, bool) {
	switch m.Method {
	case "tools/call", "prompts/get":
		return m.Params.Name, true
	case "resources/read":
		return m.Params.URI, true
	}
	return "", false
}

// decodeHeaderValue undoes the Base64 sentinel encoding
// (=?base64?...?=, MCP 2026-07-28 "Value Encoding") of header values.
func decodeHeaderValue(v string) (string, error) {
	inner, ok := strings.CutPrefix(v, "=?base64?")
	if !ok {
		return v, nil
	}
	inner, ok = strings.CutSuffix(inner, "?=")
	if !ok {
		return "", errors.New("unterminated base64 value")
	}
	b, err := base64.StdEncoding.DecodeString(inner)
	if err != nil {
		return "", errors.New("invalid base64 value")
	}
	if !utf8.Valid(b) {
		return "", errors.New("base64 value is not UTF-8")
	}
	return string(b), nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
