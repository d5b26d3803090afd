// Package rugpull is an MCP server for tests whose tools change while it
// runs (the "rug pull" that tool pinning defends against). It answers
// initialize, tools/list (in pages, as JSON or as one SSE event, single
// messages or batches) and tools/call, and records the calls that reach
// it, so that a test can tell a refused call from one that ran.
package rugpull

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Server is the MCP server. Set SSE and PageSize before it serves.
type Server struct {
	// SSE answers with text/event-stream instead of JSON.
	SSE bool
	// PageSize, if set, cuts tools/list into pages of that many tools,
	// with nextCursor "p<index>".
	PageSize int

	mu    sync.Mutex
	tools []string
	calls []string
}

// Tool is a tool definition, as JSON.
func Tool(name, description string) string {
	return fmt.Sprintf(`{"name":%q,"description":%q,"inputSchema":{"type":"object"}}`, name, description)
}

// Set replaces the tools the server shows (definitions as JSON).
func (s *Server) Set(tools ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tools = tools
}

// Called returns the names of the tools called so far, in order.
func (s *Server) Called() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, _ := io.ReadAll(r.Body)
	batch := strings.HasPrefix(strings.TrimSpace(string(body)), "[")
	var msgs []json.RawMessage
	if batch {
		_ = json.Unmarshal(body, &msgs)
	} else {
		msgs = []json.RawMessage{body}
	}
	var answers []string
	for _, m := range msgs {
		if a := s.answer(m); a != "" {
			answers = append(answers, a)
		}
	}
	if len(answers) == 0 {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	out := strings.Join(answers, ",")
	if batch {
		out = "[" + out + "]"
	}
	if s.SSE {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "event: message\ndata: "+out+"\n\n")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, out)
}

func (s *Server) answer(raw json.RawMessage) string {
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params struct {
			Name   string `json:"name"`
			Cursor string `json:"cursor"`
		} `json:"params"`
	}
	_ = json.Unmarshal(raw, &m)
	if m.ID == nil {
		if m.Method == "tools/call" {
			s.record(m.Params.Name)
		}
		return ""
	}
	switch m.Method {
	case "initialize":
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{"listChanged":true}},"serverInfo":{"name":"rugpull","version":"1"}}}`, m.ID)
	case "tools/list":
		tools, next := s.page(m.Params.Cursor)
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"tools":[%s]%s}}`, m.ID, strings.Join(tools, ","), next)
	case "tools/call":
		s.record(m.Params.Name)
		text, _ := json.Marshal("ran " + m.Params.Name)
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":%s}]}}`, m.ID, text)
	}
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{}}`, m.ID)
}

func (s *Server) record(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, name)
}

// page is the tools of the page cursor names, and the next cursor member.
func (s *Server) page(cursor string) ([]string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.PageSize <= 0 {
		return s.tools, ""
	}
	start := 0
	if cursor != "" {
		_, _ = fmt.Sscanf(cursor, "p%d", &start)
	}
	start = min(max(start, 0), len(s.tools))
	end := min(start+s.PageSize, len(s.tools))
	next := ""
	if end < len(s.tools) {
		next = fmt.Sprintf(`,"nextCursor":"p%d"`, end)
	}
	return s.tools[start:end], next
}
