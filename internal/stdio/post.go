package stdio

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Protocol revisions whose rules differ here.
const (
	version20250618 = "2025-06-18" // batching removed
	version20260728 = "2026-07-28" // sessions removed
)

// servePOST takes one POST: a JSON-RPC message, or a batch of them from a
// 2025-03-26 client (2025-11-25 basic/transports §"Sending Messages to the
// Server").
func (b *Bridge) servePOST(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
		return
	}
	// "The client MUST include an Accept header, listing both
	// application/json and text/event-stream": a call may be answered
	// either way.
	if !accepts(r, "application/json") || !accepts(r, "text/event-stream") {
		http.Error(w, "Accept must list application/json and text/event-stream", http.StatusNotAcceptable)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, b.opt.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, jsonrpc.ID{}, jsonrpc.CodeInvalidRequest, "request body too large", nil)
			return
		}
		http.Error(w, "cannot read the request body", http.StatusBadRequest)
		return
	}
	msgs, batch, err := parseBody(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, jsonrpc.ID{}, jsonrpc.CodeParseError, err.Error(), nil)
		return
	}
	version := r.Header.Get(headerProtocol)
	switch {
	case r.Header.Get(headerSession) != "":
		b.postToSession(w, r, msgs, batch, version)
	case initializeRequest(msgs) != nil && !batch:
		b.postInitialize(w, r, initializeRequest(msgs))
	case isModern(version, msgs):
		b.postModern(w, r, msgs, batch, version)
	default:
		writeError(w, http.StatusBadRequest, jsonrpc.ID{}, jsonrpc.CodeInvalidRequest,
			"Bad Request: an Mcp-Session-Id header is required (start a session with initialize)", nil)
	}
}

// postToSession delivers the messages of a POST to its session, in order.
func (b *Bridge) postToSession(w http.ResponseWriter, r *http.Request, msgs []jsonrpc.Message, batch bool, version string) {
	s, ok := b.lookup(r)
	if !ok || !s.begin() {
		writeNoSession(w)
		return
	}
	defer s.end(b.opt.IdleTimeout)
	if version != "" && !legacyVersion(version) {
		writeError(w, http.StatusBadRequest, jsonrpc.ID{}, jsonrpc.CodeInvalidRequest, "unsupported MCP-Protocol-Version "+version+" for a session", nil)
		return
	}
	if batch && version >= version20250618 {
		writeError(w, http.StatusBadRequest, jsonrpc.ID{}, jsonrpc.CodeInvalidRequest, "JSON-RPC batches are not allowed from 2025-06-18 on", nil)
		return
	}
	calls := 0
	for _, msg := range msgs {
		if req, ok := msg.(*jsonrpc.Request); ok && req.IsCall() {
			calls++
		}
	}
	st := newPostStream(calls, !batch && calls == 1)
	s.addPost(st)
	defer s.removePost(st)
	ctx := r.Context()
	for _, msg := range msgs {
		switch msg := msg.(type) {
		case *jsonrpc.Response:
			s.m.answer(ctx, s, msg)
		case *jsonrpc.Request:
			var err error
			switch {
			case !msg.IsCall():
				if err := s.m.notify(ctx, s, msg); err != nil {
					b.log.Debug("notification not delivered", "session", s.id, "method", msg.Method, "err", err)
				}
			case msg.Method == methodInitialize:
				err = s.m.initialize(ctx, s, st, msg)
			default:
				err = s.m.call(ctx, s, st, msg)
			}
			if err != nil {
				st.push(callError(msg.ID, err), true, jsonrpc.CodeInternalError)
			}
		}
	}
	if calls == 0 {
		// "If the server accepts the input, the server MUST return HTTP
		// status code 202 Accepted with no body."
		w.WriteHeader(http.StatusAccepted)
		return
	}
	b.serveStream(w, r, st, false, nil, nil)
}

// postInitialize opens a session with the client's initialize request.
// The session id goes out with the response (2025-11-25 §"Session
// Management", item 1); a session whose initialize fails is ended at
// once.
func (b *Bridge) postInitialize(w http.ResponseWriter, r *http.Request, req *jsonrpc.Request) {
	s, err := b.newSession(r)
	if err != nil {
		status := http.StatusServiceUnavailable
		if errors.Is(err, errNotReady) {
			status = http.StatusBadGateway
		}
		writeError(w, status, req.ID, jsonrpc.CodeInternalError, err.Error(), nil)
		return
	}
	defer s.end(b.opt.IdleTimeout)
	w.Header().Set(headerSession, s.id)
	st := newPostStream(1, true)
	s.addPost(st)
	defer s.removePost(st)
	if err := s.m.initialize(r.Context(), s, st, req); err != nil {
		st.push(callError(req.ID, err), true, jsonrpc.CodeInternalError)
	}
	b.serveStream(w, r, st, false, nil, nil)
	if !s.initialized.Load() {
		b.endSession(s, "initialize failed")
	}
}

func callError(id jsonrpc.ID, err error) []byte {
	code := int64(jsonrpc.CodeInternalError)
	if errors.Is(err, errDuplicateID) {
		code = jsonrpc.CodeInvalidRequest
	}
	return errorResponse(id, code, err.Error())
}

// parseBody decodes a POST body: one message or a batch.
func parseBody(body []byte) ([]jsonrpc.Message, bool, error) {
	body = bytes.TrimSpace(body)
	raws := []json.RawMessage{body}
	batch := len(body) > 0 && body[0] == '['
	if batch {
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, true, err
		}
		if len(raws) == 0 {
			return nil, true, errors.New("empty batch")
		}
	}
	msgs := make([]jsonrpc.Message, 0, len(raws))
	for _, raw := range raws {
		msg, err := decode(raw)
		if err != nil {
			return nil, batch, err
		}
		msgs = append(msgs, msg)
	}
	return msgs, batch, nil
}

func initializeRequest(msgs []jsonrpc.Message) *jsonrpc.Request {
	if len(msgs) != 1 {
		return nil
	}
	if req, ok := msgs[0].(*jsonrpc.Request); ok && req.IsCall() && req.Method == methodInitialize {
		return req
	}
	return nil
}

func accepts(r *http.Request, mediaType string) bool {
	major, _, _ := strings.Cut(mediaType, "/")
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(part, ";")
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case mediaType, major + "/*", "*/*":
				return true
			}
		}
	}
	return false
}

// legacyVersion reports a protocol version that has sessions.
func legacyVersion(v string) bool {
	for _, known := range mcp.SupportedProtocolVersions() {
		if v == known {
			return v < version20260728
		}
	}
	return false
}
