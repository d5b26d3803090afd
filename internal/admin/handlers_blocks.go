package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// blockView is a client block as the API shows it.
type blockView struct {
	Kind      string    `json:"kind"`
	Value     string    `json:"value"`
	Reason    string    `json:"reason"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

func viewBlock(b storage.ClientBlock) blockView {
	return blockView{Kind: b.Kind, Value: b.Value, Reason: b.Reason, CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt}
}

func (a *API) listBlocks(w http.ResponseWriter, r *http.Request, _ *tokens.AccessClaims) {
	bs, err := a.ClientBlocks(r.Context())
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]blockView, 0, len(bs))
	for _, b := range bs {
		out = append(out, viewBlock(b))
	}
	writeJSON(w, http.StatusOK, map[string]any{"blocks": out})
}

// blockTarget reads what a block request names: exactly one of client_id
// (a URL) and host.
func blockTarget(q url.Values) (kind, value string, err error) {
	id, host := q.Get(storage.BlockClientID), q.Get(storage.BlockHost)
	switch {
	case id != "" && host == "":
		return storage.BlockClientID, id, nil
	case host != "" && id == "":
		return storage.BlockHost, host, nil
	}
	return "", "", fmt.Errorf("%w: name either client_id or host", ErrBadBlock)
}

// blockClient: POST /admin/api/blocks?client_id=URL|host=HOST[&reason=].
func (a *API) blockClient(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	q := r.URL.Query()
	kind, value, err := blockTarget(q)
	if err != nil {
		a.fail(w, err)
		return
	}
	res, err := a.BlockClient(r.Context(), actor(r, c), kind, value, q.Get("reason"))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"block": viewBlock(res.Block), "created": res.Created, "grants_revoked": res.Revoked})
}

// unblockClient: DELETE /admin/api/blocks?client_id=URL|host=HOST.
func (a *API) unblockClient(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	kind, value, err := blockTarget(r.URL.Query())
	if err == nil {
		value, err = a.UnblockClient(r.Context(), actor(r, c), kind, value)
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"kind": kind, "value": value, "unblocked": true})
}
