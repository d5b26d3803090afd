package compose

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// version20260728 is the first revision without sessions.
const version20260728 = "2026-07-28"

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.done:
		http.Error(w, "server closed", http.StatusServiceUnavailable)
		return
	default:
	}
	switch r.Method {
	case http.MethodPost:
		s.servePOST(w, r)
	case http.MethodGet:
		s.serveGET(w, r)
	case http.MethodDelete:
		s.serveDELETE(w, r)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// servePOST takes one JSON-RPC message. Batches (2025-03-26 only) are
// refused: no current client sends them.
func (s *Server) servePOST(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		http.Error(w, "Content-Type must be application/json", http.StatusUnsupportedMediaType)
		return
	}
	if !accepts(r, "application/json") || !accepts(r, "text/event-stream") {
		http.Error(w, "Accept must list application/json and text/event-stream", http.StatusNotAcceptable)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxMessageBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, jsonrpc.ID{}, jsonrpc.CodeInvalidRequest, "Invalid request: the body is too large")
		return
	}
	if t := strings.TrimSpace(string(body)); strings.HasPrefix(t, "[") {
		writeError(w, http.StatusBadRequest, jsonrpc.ID{}, jsonrpc.CodeInvalidRequest, "Invalid request: JSON-RPC batches are not supported")
		return
	}
	msg, err := decodeMessage(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, jsonrpc.ID{}, jsonrpc.CodeParseError, "Parse error")
		return
	}
	version := r.Header.Get(headerProtocol)
	req, isReq := msg.(*jsonrpc.Request)
	switch {
	case r.Header.Get(headerSession) != "":
		s.postSession(w, r, msg, version)
	case isReq && req.IsCall() && req.Method == "initialize":
		s.postInitialize(w, r, req)
	case isModern(version, msg):
		s.postModern(w, r, msg, version)
	default:
		writeError(w, http.StatusBadRequest, jsonrpc.ID{}, jsonrpc.CodeInvalidRequest,
			"Bad Request: an Mcp-Session-Id header is required (start a session with initialize)")
	}
}

// postInitialize answers initialize itself and opens a session (2025-11-25
// basic/lifecycle §Initialization); members are not contacted until a
// request needs them.
func (s *Server) postInitialize(w http.ResponseWriter, r *http.Request, req *jsonrpc.Request) {
	params := paramsObject(req.Params)
	asked, ok := stringMember(params, "protocolVersion")
	if !ok {
		writeError(w, http.StatusOK, req.ID, jsonrpc.CodeInvalidParams, "Invalid params: protocolVersion is required")
		return
	}
	version := negotiate(asked)
	params, err := setMember(params, "protocolVersion", quote(version))
	if err != nil {
		writeError(w, http.StatusOK, req.ID, jsonrpc.CodeInvalidParams, "Invalid params: "+err.Error())
		return
	}
	cs := s.newSession(r.Context(), params, version)
	s.mu.Lock()
	s.sessions[cs.id] = cs
	s.mu.Unlock()
	cs.begin()
	cs.release()
	w.Header().Set(headerSession, cs.id)
	writeJSON(w, http.StatusOK, resultBody(req.ID, map[string]any{
		"protocolVersion": version,
		"capabilities":    legacyCapabilities,
		"serverInfo":      s.implementation(),
	}))
}

// legacyCapabilities is the union of what a composed server carries
// (2025-11-25 basic/lifecycle §Capability Negotiation).
var legacyCapabilities = map[string]any{
	"tools":       map[string]any{"listChanged": true},
	"prompts":     map[string]any{"listChanged": true},
	"resources":   map[string]any{"listChanged": true, "subscribe": true},
	"completions": map[string]any{},
	"logging":     map[string]any{},
}

func (s *Server) implementation() map[string]string {
	impl := map[string]string{"name": s.opt.Name, "version": s.opt.Version}
	if s.opt.Title != "" {
		impl["title"] = s.opt.Title
	}
	return impl
}

// negotiate picks the session's version as the SDK does: the client's if
// it is a known session-era version, else the latest session-era one
// (2025-11-25 basic/lifecycle §"Version Negotiation").
func negotiate(asked string) string {
	versions := legacyVersions()
	for _, v := range versions {
		if v == asked {
			return v
		}
	}
	return versions[0]
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

// postSession delivers one message of a session.
func (s *Server) postSession(w http.ResponseWriter, r *http.Request, msg jsonrpc.Message, version string) {
	cs, ok := s.lookup(r.Header.Get(headerSession))
	if !ok {
		writeNoSession(w)
		return
	}
	defer cs.release()
	if version != "" && version != cs.version {
		writeError(w, http.StatusBadRequest, jsonrpc.ID{}, jsonrpc.CodeInvalidRequest, "Invalid request: MCP-Protocol-Version is not the session's")
		return
	}
	ctx, cancel := s.requestContext(r.Context(), cs.ctx)
	defer cancel()
	switch msg := msg.(type) {
	case *jsonrpc.Response:
		if !s.answerFromClient(ctx, cs, msg) {
			writeError(w, http.StatusBadRequest, jsonrpc.ID{}, jsonrpc.CodeInvalidRequest, "Invalid request: no request with this id awaits an answer in this session")
			return
		}
		w.WriteHeader(http.StatusAccepted)
	case *jsonrpc.Request:
		if !msg.IsCall() {
			s.clientNotification(ctx, cs, msg)
			w.WriteHeader(http.StatusAccepted)
			return
		}
		s.run(w, r, ctx, view{cs: cs, version: cs.version}, msg, false)
	}
}

// run serves one request: dispatch fills the stream while serve writes
// it, and the handler returns only when both are done.
func (s *Server) run(w http.ResponseWriter, r *http.Request, ctx context.Context, v view, req *jsonrpc.Request, modern bool) {
	st := newStream(false)
	ctx, cancel := context.WithCancel(ctx)
	fin := make(chan struct{})
	go func() {
		defer close(fin)
		s.dispatch(ctx, v, req, st)
	}()
	s.serve(w, r, st, modern)
	cancel()
	<-fin
}

// requestContext is the client request's context, also cut when the
// session ends or the server closes.
func (s *Server) requestContext(ctx, session context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop1 := context.AfterFunc(s.base, cancel)
	stop2 := context.AfterFunc(session, cancel)
	return ctx, func() {
		stop1()
		stop2()
		cancel()
	}
}

// serveDELETE ends a session (2025-11-25 §"Session Management", item 5).
func (s *Server) serveDELETE(w http.ResponseWriter, r *http.Request) {
	cs, ok := s.lookup(r.Header.Get(headerSession))
	if !ok {
		writeNoSession(w)
		return
	}
	cs.release()
	s.endSession(cs, "deleted by the client")
	w.WriteHeader(http.StatusNoContent)
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

// isModern reports a request of the 2026-07-28 era: by header or by its
// _meta protocol version.
func isModern(version string, msg jsonrpc.Message) bool {
	if version >= version20260728 {
		return true
	}
	req, ok := msg.(*jsonrpc.Request)
	if !ok {
		return false
	}
	meta, found, err := getMember(paramsObject(req.Params), "_meta")
	if err != nil || !found {
		return false
	}
	_, found, _ = getMember(meta, mcp.MetaKeyProtocolVersion)
	return found
}
