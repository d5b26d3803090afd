package compose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The 2026-07-28 revision has no sessions: each POST is one request with
// its version, client info and capabilities in _meta. The composed server
// holds nothing for it: server/discover is its own answer, and every other
// request is sent, as it came (its _meta untouched, the member's own name
// in params and in Mcp-Name), to the member that owns it, or to all of them
// for a list.
//
// A member that does not speak 2026-07-28 (it refuses the version with
// UnsupportedProtocolVersion, as the Go SDK's stateful handler does) is
// remembered as such, and from then on the composed server answers
// 2026-07-28 requests, server/discover included, with
// UnsupportedProtocolVersion listing the session versions: clients fall
// back to initialize and a session (2026-07-28 streamable-http §"Backward
// Compatibility"), in which every member is reachable. server/discover
// asks members whose era is not known yet, so a client learns this before
// it sends anything else.

func (s *Server) postModern(w http.ResponseWriter, r *http.Request, msg jsonrpc.Message, version string) {
	req, ok := msg.(*jsonrpc.Request)
	if !ok || !req.IsCall() {
		// No client notification or response is defined without a session
		// (2026-07-28 streamable-http §"Sending Messages").
		w.WriteHeader(http.StatusAccepted)
		return
	}
	meta, code, problem := checkModern(r.Header, req, version)
	if code != 0 {
		writeError(w, http.StatusBadRequest, req.ID, code, problem)
		return
	}
	version = r.Header.Get(headerProtocol)
	if !knownVersion(version) {
		writeJSON(w, http.StatusBadRequest, unsupported(req.ID, version, mcp.SupportedProtocolVersions()))
		return
	}
	ctx, cancel := s.requestContext(r.Context(), s.base)
	defer cancel()
	v := view{version: version, meta: meta, params: paramHeaders(r.Header)}
	if req.Method == "server/discover" {
		body, code := s.discover(ctx, v, req)
		writeJSON(w, status(true, code), body)
		return
	}
	if s.anyLegacy() {
		writeJSON(w, http.StatusBadRequest, unsupported(req.ID, version, legacyVersions()))
		return
	}
	s.run(w, r, ctx, v, req, true)
}

// checkModern checks the request metadata headers against the body
// (2026-07-28 streamable-http §"Server Validation") and returns the
// request's _meta. The gateway checks the same before this handler; a
// composed server checks again because it relays what the headers say.
func checkModern(h http.Header, req *jsonrpc.Request, version string) (json.RawMessage, int64, string) {
	meta, found, err := getMember(paramsObject(req.Params), "_meta")
	if err != nil || !found {
		return nil, jsonrpc.CodeInvalidParams, "Invalid params: missing _meta " + mcp.MetaKeyProtocolVersion
	}
	metaVersion, _ := stringMember(meta, mcp.MetaKeyProtocolVersion)
	switch {
	case metaVersion == "":
		return nil, jsonrpc.CodeInvalidParams, "Invalid params: missing _meta " + mcp.MetaKeyProtocolVersion
	case version != metaVersion:
		return nil, mcp.CodeHeaderMismatch, fmt.Sprintf("MCP-Protocol-Version header %q does not match _meta %q", version, metaVersion)
	case h.Get(headerMethod) != req.Method:
		return nil, mcp.CodeHeaderMismatch, "Mcp-Method header does not match the method"
	}
	return meta, 0, ""
}

func knownVersion(v string) bool {
	for _, known := range mcp.SupportedProtocolVersions() {
		if v == known {
			return true
		}
	}
	return false
}

func (s *Server) anyLegacy() bool {
	for _, m := range s.members {
		if m.getEra() == eraLegacy {
			return true
		}
	}
	return false
}

// discover answers server/discover (2026-07-28 basic/lifecycle) after
// asking members whose era is unknown.
func (s *Server) discover(ctx context.Context, v view, req *jsonrpc.Request) ([]byte, int64) {
	var wg sync.WaitGroup
	for _, m := range s.members {
		if m.getEra() != eraUnknown {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.probe(ctx, v, m, req.Params)
		}()
	}
	wg.Wait()
	if s.anyLegacy() {
		return unsupported(req.ID, v.version, legacyVersions()), codeUnsupportedVersion
	}
	return resultBody(req.ID, map[string]any{
		"resultType":        "complete",
		"supportedVersions": mcp.SupportedProtocolVersions(),
		"capabilities":      modernCapabilities,
		"_meta":             map[string]any{mcp.MetaKeyServerInfo: s.implementation()},
	}), 0
}

// modernCapabilities are those of a session (legacyCapabilities): list
// changes and resource updates come over subscriptions/listen.
var modernCapabilities = legacyCapabilities

// probe asks one member server/discover and records its era.
func (s *Server) probe(ctx context.Context, v view, m *member, params json.RawMessage) {
	res, err := s.call(ctx, v, m, "server/discover", paramsObject(params))
	var we *jsonrpc.Error
	switch {
	case errors.As(err, &we) && we.Code == codeUnsupportedVersion:
		m.setEra(eraLegacy)
	case errors.As(err, &we):
		// Any other refusal (an unknown method) is a server without
		// 2026-07-28 too.
		m.setEra(eraLegacy)
	case err == nil && speaksModern(res):
		m.setEra(eraModern)
	case err == nil:
		m.setEra(eraLegacy)
	}
}

func speaksModern(res json.RawMessage) bool {
	var r struct {
		SupportedVersions []string `json:"supportedVersions"`
	}
	if json.Unmarshal(res, &r) != nil {
		return false
	}
	for _, v := range r.SupportedVersions {
		if v >= version20260728 && knownVersion(v) {
			return true
		}
	}
	return false
}

// unsupported is UnsupportedProtocolVersionError (2026-07-28
// streamable-http §"Protocol Version Header").
func unsupported(id jsonrpc.ID, requested string, supported []string) []byte {
	data, _ := json.Marshal(mcp.UnsupportedProtocolVersionData{Supported: supported, Requested: requested})
	return errorBody(id, codeUnsupportedVersion, fmt.Sprintf("protocol version %q is not supported by this server", requested), data)
}

// refusal answers a request whose list could not be made.
func (s *Server) refusal(id jsonrpc.ID, v view, err error) ([]byte, int64) {
	if errors.Is(err, errLegacyOnly) {
		return unsupported(id, v.version, legacyVersions()), codeUnsupportedVersion
	}
	return errorBody(id, jsonrpc.CodeInternalError, "the list could not be made", nil), jsonrpc.CodeInternalError
}

// paramHeaders are the request's Mcp-Param-* headers (2026-07-28
// streamable-http §"Request Metadata"; the gateway has checked them
// against the body).
func paramHeaders(h http.Header) http.Header {
	var out http.Header
	for k, vs := range h {
		if strings.HasPrefix(k, "Mcp-Param-") {
			if out == nil {
				out = http.Header{}
			}
			out[k] = vs
		}
	}
	return out
}
