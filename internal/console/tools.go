package console

import (
	"context"
	"errors"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/pinning"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Tool definition pinning: the definitions waiting for an administrator,
// each shown side by side with the tool's approved definition, and the
// approve and reject actions (admin.API's, as the JSON API and the
// command line take them).

// toolChange is one pending definition as the page shows it.
type toolChange struct {
	Pin      storage.ToolPin
	Approved *storage.ToolPin
	// Rows compare the approved definition (left) with the new one.
	Rows []pinning.Row
	// Why says in words why the definition waits.
	Why string
}

// why explains a pending definition's reason.
func why(reason string) string {
	switch reason {
	case pinning.ReasonChanged:
		return "The server changed this tool after it was approved."
	case pinning.ReasonLookalike:
		return "A new tool whose name looks like another tool's (case, width or invisible characters)."
	}
	return "A tool the server did not show before."
}

func (c *Console) toolsPage(w http.ResponseWriter, r *http.Request) {
	cs, err := c.opt.Admin.PendingTools(r.Context())
	if err != nil {
		c.failed(w, r, "tool list", err)
		return
	}
	rows := make([]toolChange, 0, len(cs))
	for _, ch := range cs {
		tc := toolChange{Pin: ch.Pin, Approved: ch.Approved, Why: why(ch.Pin.Reason)}
		var old []byte
		if ch.Approved != nil {
			old = ch.Approved.Definition
		}
		tc.Rows = pinning.Diff(old, ch.Pin.Definition)
		rows = append(rows, tc)
	}
	c.render(w, r, http.StatusOK, "tools.html", &view{Title: "Tool changes", Section: "tools", Notice: notice(r.URL.Query()), Data: rows})
}

// approveTool and rejectTool decide one definition, named by the form's
// server, tool and (full) hash: the definition the administrator saw.
func (c *Console) approveTool(w http.ResponseWriter, r *http.Request) {
	c.decideTool(w, r, c.opt.Admin.ApproveTool, "tool_approved")
}

func (c *Console) rejectTool(w http.ResponseWriter, r *http.Request) {
	c.decideTool(w, r, c.opt.Admin.RejectTool, "tool_rejected")
}

func (c *Console) decideTool(w http.ResponseWriter, r *http.Request,
	decide func(ctx context.Context, who admin.Actor, server, tool, hash string) (storage.ToolPin, error), what string) {
	f := r.PostForm
	_, err := decide(r.Context(), c.actor(r), f.Get("server"), f.Get("tool"), f.Get("hash"))
	if errors.Is(err, admin.ErrBadToolPin) {
		c.errorPage(w, r, http.StatusBadRequest, "Choose a change from the list. Nothing was changed.", "")
		return
	}
	if err != nil {
		c.failed(w, r, "tool definition", err)
		return
	}
	done(w, r, Path+"/admin/tools", what, -1)
}
