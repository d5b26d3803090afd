package console

import (
	"errors"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
)

// blockClient blocks a metadata-document client by client_id URL, or
// every one on a host, through admin.API.BlockClient (the action the JSON
// API and the command line take too).
func (c *Console) blockClient(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	res, err := c.opt.Admin.BlockClient(r.Context(), c.actor(r), f.Get("kind"), f.Get("value"), f.Get("reason"))
	if errors.Is(err, admin.ErrBadBlock) {
		c.errorPage(w, r, http.StatusBadRequest, "Nothing was changed: "+err.Error()+".", "")
		return
	}
	if err != nil {
		c.failed(w, r, "block", err)
		return
	}
	done(w, r, Path+"/admin/clients", "client_blocked", res.Revoked)
}

// unblockClient lifts a block.
func (c *Console) unblockClient(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	_, err := c.opt.Admin.UnblockClient(r.Context(), c.actor(r), f.Get("kind"), f.Get("value"))
	if errors.Is(err, admin.ErrBadBlock) {
		c.errorPage(w, r, http.StatusBadRequest, "Choose a block from the list. Nothing was changed.", "")
		return
	}
	if err != nil {
		c.failed(w, r, "block", err)
		return
	}
	done(w, r, Path+"/admin/clients", "client_unblocked", -1)
}
