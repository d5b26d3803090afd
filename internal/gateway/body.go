package gateway

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
)

var errTooLarge = errors.New("request body too large")

// exactBodyMax is the largest declared body length read into a buffer
// allocated before its bytes arrive.
const exactBodyMax = 64 << 10

// readBody reads a request body of at most limit bytes into memory. A
// small body of declared length is read into a buffer of exactly that size
// (net/http's body reader stops at the declared length); any other grows
// its buffer as bytes arrive, through http.MaxBytesReader, so that a
// client declaring a large body and sending none holds no memory for it.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	switch n := r.ContentLength; {
	case n > limit:
		return nil, errTooLarge
	case n >= 0 && n <= exactBodyMax:
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errTooLarge
	}
	return body, err
}

// bodyReader is a backend request's body: the bytes admit read.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

// setBody makes b the body the backend receives.
func (x *exchange) setBody(b []byte) {
	x.out.body.Reset(b)
	x.r.Body = &x.out.body
	x.r.ContentLength = int64(len(b))
}

// checkBody reads the POST body within the size limit, reads it strictly
// (package jsonrpc) and checks that the MCP headers agree with it. From
// here on the request's body is the canonical encoding of what was read:
// the backend receives exactly what every decision was taken on. It
// answers the request itself when a check fails.
func (rt *route) checkBody(x *exchange) bool {
	w, r := x.w, x.r
	raw, err := readBody(w, r, rt.MaxBodyBytes)
	if errors.Is(err, errTooLarge) {
		x.reason = "request_too_large"
		writeRPCError(w, http.StatusRequestEntityTooLarge, nil, &jsonrpc.Error{Code: jsonrpc.CodeRequestTooLarge,
			Message: fmt.Sprintf("the request body is larger than %d bytes", rt.MaxBodyBytes)})
		return false
	}
	if err != nil {
		x.reason = "unreadable_body"
		writeRPCError(w, http.StatusBadRequest, nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "the request body could not be read"})
		return false
	}
	body, err := jsonrpc.Read(raw)
	if err != nil {
		var e *jsonrpc.Error
		errors.As(err, &e)
		x.reason = "malformed_body"
		writeRPCError(w, http.StatusBadRequest, nil, e)
		return false
	}
	x.body = body
	if e := rt.checkEnvelope(r.Header, body); e != nil {
		x.reason = "header_mismatch"
		if e.Code == jsonrpc.CodeInvalidRequest {
			x.reason = "batch_refused"
		}
		writeRPCError(w, http.StatusBadRequest, x.singleID(), e)
		return false
	}
	x.setBody(body.Raw)
	return true
}

// batchVersion is the only protocol revision with JSON-RPC batches (added
// in 2025-03-26, removed in 2025-06-18).
const batchVersion = "2025-03-26"

// checkEnvelope checks what surrounds the messages: the MCP headers of a
// single message, and whether a batch is allowed at all. The error is a
// header mismatch, or an invalid request for a batch where the protocol
// has none; nil if the envelope is fine.
func (rt *route) checkEnvelope(h http.Header, b *jsonrpc.Body) *jsonrpc.Error {
	if !b.Batch {
		return headerMismatch(checkHeaders(h, &b.Messages[0]))
	}
	versions := h.Values("Mcp-Protocol-Version") // canonical: looked up without a copy
	switch {
	case rt.Transport == TransportSSE:
		return batchRefused("the HTTP+SSE transport has no JSON-RPC batches")
	case len(versions) > 1:
		return headerMismatch(errors.New("exactly one MCP-Protocol-Version header is allowed"))
	case len(versions) == 1 && versions[0] != batchVersion:
		// A client that negotiated a later revision may not batch; one
		// that sends no version header is taken for 2025-03-26 (MCP
		// 2025-06-18 "Protocol Version Header").
		return batchRefused("JSON-RPC batches are not part of protocol version " + clip(versions[0]))
	case len(h.Values("Mcp-Method")) > 0 || len(h.Values("Mcp-Name")) > 0:
		return headerMismatch(errors.New("a batch has no single Mcp-Method or Mcp-Name"))
	}
	for i := range b.Messages {
		if b.Messages[i].ProtocolVersion != "" {
			return batchRefused("JSON-RPC batches are not part of the protocol version a message names")
		}
	}
	return nil
}

// headerMismatch is the error for headers that disagree with the body;
// nil for no error.
func headerMismatch(err error) *jsonrpc.Error {
	if err == nil {
		return nil
	}
	return &jsonrpc.Error{Code: jsonrpc.CodeHeaderMismatch, Message: "Header mismatch: " + err.Error()}
}

// batchRefused is the error for a batch the protocol in use does not have.
func batchRefused(msg string) *jsonrpc.Error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: msg}
}

// modernVersion is the first protocol revision whose requests carry the
// Mcp-Method and Mcp-Name headers.
const modernVersion = "2026-07-28"

// checkHeaders enforces MCP 2026-07-28 "Server Validation": headers that
// mirror the body must match it, before anything relies on either. A
// gateway that routed or authorised on a header while the backend executed
// the body could be fooled by a request whose two disagree. Each mirrored
// header may appear once.
func checkHeaders(h http.Header, m *jsonrpc.Message) error {
	// Canonical spellings are looked up without a copy.
	versions, methods, names := h.Values("Mcp-Protocol-Version"), h.Values("Mcp-Method"), h.Values("Mcp-Name")
	switch {
	case len(versions) > 1:
		return errors.New("exactly one MCP-Protocol-Version header is allowed")
	case len(methods) > 1:
		return errors.New("exactly one Mcp-Method header is allowed")
	case len(names) > 1:
		return errors.New("exactly one Mcp-Name header is allowed")
	}
	version := first(versions)
	if v := m.ProtocolVersion; v != "" && version != "" && version != v {
		return fmt.Errorf("MCP-Protocol-Version header %q does not match the request's protocol version %q", clip(version), clip(v))
	}
	modern := version >= modernVersion
	if len(methods) == 0 {
		if modern && m.IsRequest() {
			return errors.New("the Mcp-Method header is required")
		}
	} else if methods[0] != m.Method {
		return fmt.Errorf("Mcp-Method header %q does not match the body's method %q", clip(methods[0]), clip(m.Method))
	}
	want, named := m.Target()
	if !named {
		// The method mirrors no name the gateway knows of. An Mcp-Name
		// sent with it (an extension's) is the backend's to check; the
		// gateway decides nothing on it.
		return nil
	}
	if len(names) == 0 {
		if len(methods) > 0 || modern {
			return errors.New("the Mcp-Name header is required for " + clip(m.Method))
		}
		return nil
	}
	got, err := decodeHeaderValue(names[0])
	if err != nil {
		return fmt.Errorf("Mcp-Name header: %v", err)
	}
	if got != want {
		return fmt.Errorf("Mcp-Name header %q does not match the body's %q", clip(got), clip(want))
	}
	return nil
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
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
