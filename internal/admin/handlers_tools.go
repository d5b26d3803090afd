package admin

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// pinView is a pinned tool definition as the API shows it.
type pinView struct {
	Server      string          `json:"server"`
	Tool        string          `json:"tool"`
	Hash        string          `json:"hash"`
	State       string          `json:"state"`
	Reason      string          `json:"reason"`
	Definition  json.RawMessage `json:"definition"`
	FirstSeenAt time.Time       `json:"first_seen_at"`
	SeenAt      time.Time       `json:"seen_at"`
	DecidedBy   string          `json:"decided_by,omitempty"`
	DecidedAt   *time.Time      `json:"decided_at,omitempty"`
}

func viewPin(p storage.ToolPin) pinView {
	v := pinView{Server: p.Server, Tool: p.Tool, Hash: p.Hash, State: p.State, Reason: p.Reason, Definition: p.Definition,
		FirstSeenAt: p.FirstSeenAt, SeenAt: p.SeenAt, DecidedBy: p.DecidedBy}
	if !json.Valid(v.Definition) {
		v.Definition = json.RawMessage("null")
	}
	if !p.DecidedAt.IsZero() {
		v.DecidedAt = &p.DecidedAt
	}
	return v
}

// changeView is a pending definition beside the approved one.
type changeView struct {
	pinView
	Approved *pinView `json:"approved"`
}

// listPendingTools: GET /admin/api/tools/pending.
func (a *API) listPendingTools(w http.ResponseWriter, r *http.Request, _ *tokens.AccessClaims) {
	cs, err := a.PendingTools(r.Context())
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]changeView, 0, len(cs))
	for _, c := range cs {
		v := changeView{pinView: viewPin(c.Pin)}
		if c.Approved != nil {
			ap := viewPin(*c.Approved)
			v.Approved = &ap
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"changes": out})
}

// listToolPins: GET /admin/api/tools[?server=NAME].
func (a *API) listToolPins(w http.ResponseWriter, r *http.Request, _ *tokens.AccessClaims) {
	ps, err := a.ToolPins(r.Context(), r.URL.Query().Get("server"))
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]pinView, 0, len(ps))
	for _, p := range ps {
		out = append(out, viewPin(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tools": out})
}

// approveTool: POST /admin/api/tools/approve?server=&tool=&hash=.
func (a *API) approveTool(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	q := r.URL.Query()
	a.answerPin(w)(a.ApproveTool(r.Context(), actor(r, c), q.Get("server"), q.Get("tool"), q.Get("hash")))
}

// rejectTool: POST /admin/api/tools/reject?server=&tool=&hash=.
func (a *API) rejectTool(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	q := r.URL.Query()
	a.answerPin(w)(a.RejectTool(r.Context(), actor(r, c), q.Get("server"), q.Get("tool"), q.Get("hash")))
}

func (a *API) answerPin(w http.ResponseWriter) func(storage.ToolPin, error) {
	return func(p storage.ToolPin, err error) {
		if err != nil {
			a.fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"tool": viewPin(p)})
	}
}
