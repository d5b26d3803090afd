package openapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
)

// ServerOptions configure a Server: where its document is, which
// operations it serves, and how calls are sent.
type ServerOptions struct {
	// Name and Title are the MCP server's implementation name and title.
	Name, Title string
	Source      Source
	Filter      opfilter.Filter
	Client      *Client
}

// Server is an OpenAPI server whose document can be read again while it
// serves (docs/openapi.md, "Reloading a document"). Each tool set is
// served by a handler of its own, and a reload swaps the whole handler
// at once: a request already in a handler finishes there, the next one
// sees the new set, and no request ever sees half of each.
type Server struct {
	o   ServerOptions
	cur atomic.Pointer[built]
	// reloading makes reloads take turns: two at once could otherwise
	// finish in either order and leave the older document serving.
	reloading sync.Mutex
}

// built is one tool set and the handler serving it.
type built struct {
	set *Set
	h   http.Handler
	// defs are the tools' definitions as clients see them, to compare.
	defs []string
}

// NewServer loads the document and builds its tools; the Set says which
// operations were left out.
func NewServer(ctx context.Context, o ServerOptions) (*Server, *Set, error) {
	s := &Server{o: o}
	b, err := s.build(ctx)
	if err != nil {
		return nil, nil, err
	}
	s.cur.Store(b)
	return s, b.set, nil
}

// Reload reads the document again, with the same size cap, fetch client
// and filter as the first time, and serves its tools from the next
// request on; changed says whether any tool definition differs from the
// ones served before. A document that no longer loads or builds changes
// nothing: the error says why, and the tools already served stay.
func (s *Server) Reload(ctx context.Context) (set *Set, changed bool, err error) {
	s.reloading.Lock()
	defer s.reloading.Unlock()
	b, err := s.build(ctx)
	if err != nil {
		return nil, false, err
	}
	changed = !slices.Equal(b.defs, s.cur.Load().defs)
	s.cur.Store(b)
	return b.set, changed, nil
}

// Tools are the tools served now.
func (s *Server) Tools() []*Tool { return s.cur.Load().set.Tools }

// ServeHTTP serves the request with the tool set current when it arrives.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.cur.Load().h.ServeHTTP(w, r)
}

func (s *Server) build(ctx context.Context) (*built, error) {
	doc, err := Load(ctx, s.o.Source)
	if err != nil {
		return nil, err
	}
	set, err := Build(doc, s.o.Filter)
	if err != nil {
		return nil, err
	}
	h := Handler(Options{Name: s.o.Name, Title: s.o.Title, Tools: set.Tools, Client: s.o.Client})
	defs := make([]string, len(set.Tools))
	for i, t := range set.Tools {
		// A definition built from a parsed document always marshals.
		d, _ := json.Marshal(t.Def)
		defs[i] = string(d)
	}
	return &built{set: set, h: h, defs: defs}, nil
}
