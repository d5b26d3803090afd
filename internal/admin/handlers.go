package admin

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// clientView is a client without anything secret (no secret hash).
type clientView struct {
	ID              string    `json:"client_id"`
	Name            string    `json:"client_name"`
	Kind            string    `json:"kind"`
	RedirectURIs    []string  `json:"redirect_uris"`
	GrantTypes      []string  `json:"grant_types"`
	AuthMethod      string    `json:"token_endpoint_auth_method"`
	ApplicationType string    `json:"application_type,omitempty"`
	Disabled        bool      `json:"disabled"`
	CreatedAt       time.Time `json:"created_at"`
	LastUsedAt      time.Time `json:"last_used_at"`
	ExpiresAt       time.Time `json:"expires_at,omitempty"`
}

func viewClient(c storage.Client) clientView {
	return clientView{ID: c.ID, Name: c.Name, Kind: c.Kind, RedirectURIs: c.RedirectURIs, GrantTypes: c.GrantTypes,
		AuthMethod: c.TokenEndpointAuthMethod, ApplicationType: c.ApplicationType, Disabled: c.Disabled,
		CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt, ExpiresAt: c.ExpiresAt}
}

// listPage answers a list request with items and, when there are more,
// next: the cursor to pass as after for the following page.
func listPage(w http.ResponseWriter, name string, items any, next string) {
	out := map[string]any{name: items}
	if next != "" {
		out["next"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

// badLimit refuses a limit parameter that is not a page size.
func badLimit(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_request", Message: err.Error()})
}

func (a *API) listClients(w http.ResponseWriter, r *http.Request, _ *tokens.AccessClaims) {
	q := r.URL.Query()
	limit, err := ParseLimit(q, DefaultPage)
	if err != nil {
		badLimit(w, err)
		return
	}
	cs, next, err := a.ClientPage(r.Context(), q.Get("after"), limit)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]clientView, 0, len(cs))
	for _, c := range cs {
		out = append(out, viewClient(c))
	}
	listPage(w, "clients", out, next)
}

func (a *API) setDisabled(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims, disabled bool) {
	id := r.PathValue("id")
	n, err := a.SetClientDisabled(r.Context(), actor(r, c), id, disabled)
	if err != nil {
		a.fail(w, err)
		return
	}
	if disabled {
		writeJSON(w, http.StatusOK, map[string]any{"client_id": id, "disabled": true, "grants_revoked": n})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"client_id": id, "disabled": false})
}

func (a *API) disableClient(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	a.setDisabled(w, r, c, true)
}

func (a *API) enableClient(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	a.setDisabled(w, r, c, false)
}

func (a *API) deleteClient(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	id := r.PathValue("id")
	n, err := a.DeleteClient(r.Context(), actor(r, c), id)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"client_id": id, "deleted": true, "grants_revoked": n})
}

// grantView shows a grant without its tokens (which are not stored anyway).
type grantView struct {
	ID         string           `json:"grant_id"`
	ClientID   string           `json:"client_id"`
	User       storage.Identity `json:"user"`
	Scopes     []string         `json:"scopes"`
	Resource   string           `json:"resource"`
	CreatedAt  time.Time        `json:"created_at"`
	LastUsedAt time.Time        `json:"last_used_at"`
	ExpiresAt  time.Time        `json:"expires_at"`
	RevokedAt  time.Time        `json:"revoked_at,omitempty"`
	Reason     string           `json:"revoke_reason,omitempty"`
}

func (a *API) listGrants(w http.ResponseWriter, r *http.Request, _ *tokens.AccessClaims) {
	q := r.URL.Query()
	limit, err := ParseLimit(q, DefaultPage)
	if err != nil {
		badLimit(w, err)
		return
	}
	gs, next, err := a.GrantPage(r.Context(), storage.GrantFilter{Subject: q.Get("user"), ClientID: q.Get("client"),
		IncludeRevoked: q.Get("revoked") == "true"}, q.Get("after"), limit)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]grantView, 0, len(gs))
	for _, g := range gs {
		out = append(out, grantView{ID: g.ID, ClientID: g.ClientID, User: g.Identity, Scopes: g.Scopes, Resource: g.Resource,
			CreatedAt: g.CreatedAt, LastUsedAt: g.LastUsedAt, ExpiresAt: g.ExpiresAt, RevokedAt: g.RevokedAt, Reason: g.RevokeReason})
	}
	listPage(w, "grants", out, next)
}

func (a *API) revokeGrant(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	id := r.PathValue("id")
	if err := a.RevokeGrant(r.Context(), actor(r, c), id); err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"grant_id": id, "revoked": true})
}

// revokeGrants revokes every grant of a user, a client, or the pair.
func (a *API) revokeGrants(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	q := r.URL.Query()
	f := storage.GrantFilter{Subject: q.Get("user"), ClientID: q.Get("client")}
	if f.Subject == "" && f.ClientID == "" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_request", Message: "name a user, a client, or both"})
		return
	}
	n, err := a.RevokeGrants(r.Context(), actor(r, c), f, "revoked_by_admin")
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"grants_revoked": n})
}

// consentView is a consent as the API shows it: per resource (MCP server
// URL), the scopes the user approved for that resource.
type consentView struct {
	Subject   string              `json:"user"`
	ClientID  string              `json:"client_id"`
	Approved  map[string][]string `json:"approved"`
	CreatedAt time.Time           `json:"created_at"`
	UpdatedAt time.Time           `json:"updated_at"`
}

func (a *API) listConsents(w http.ResponseWriter, r *http.Request, _ *tokens.AccessClaims) {
	user := r.URL.Query().Get("user")
	if user == "" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_request", Message: "user is required"})
		return
	}
	cs, err := a.opt.Store.ListConsents(r.Context(), user)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]consentView, 0, len(cs))
	for _, c := range cs {
		approved := make(map[string][]string, len(c.Approved)) // [] rather than null in JSON
		for res, scopes := range c.Approved {
			approved[res] = append([]string{}, scopes...)
		}
		out = append(out, consentView{Subject: c.Subject, ClientID: c.ClientID, Approved: approved,
			CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"consents": out})
}

// deleteConsent withdraws a user's consent for a client and revokes the
// grants it led to: the client must ask again.
func (a *API) deleteConsent(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	q := r.URL.Query()
	user, client := q.Get("user"), q.Get("client")
	if user == "" || client == "" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_request", Message: "user and client are required"})
		return
	}
	n, err := a.WithdrawConsent(r.Context(), actor(r, c), user, client, "consent_revoked")
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deleted": true, "grants_revoked": n})
}

type keyView struct {
	ID        string          `json:"kid"`
	Algorithm string          `json:"alg"`
	Current   bool            `json:"current"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt time.Time       `json:"expires_at,omitempty"`
	PublicJWK json.RawMessage `json:"public_jwk"`
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request, _ *tokens.AccessClaims) {
	ks, err := a.opt.Store.ListSigningKeys(r.Context())
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]keyView, 0, len(ks))
	for _, k := range ks {
		out = append(out, keyView{ID: k.ID, Algorithm: k.Algorithm, Current: k.ID == a.opt.Keys.Current(),
			CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, PublicJWK: k.PublicJWK})
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}

func (a *API) rotateKeys(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	kid, err := a.RotateKeys(r.Context(), actor(r, c))
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"current": kid})
}

func (a *API) listServers(w http.ResponseWriter, r *http.Request, _ *tokens.AccessClaims) {
	writeJSON(w, http.StatusOK, map[string]any{"servers": a.Backends(r.Context())})
}

// reloadServer: POST /admin/api/servers/reload?server=NAME.
func (a *API) reloadServer(w http.ResponseWriter, r *http.Request, c *tokens.AccessClaims) {
	name := r.URL.Query().Get("server")
	if name == "" {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_request", Message: "server is required"})
		return
	}
	if err := a.ReloadServer(r.Context(), actor(r, c), name); err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"server": name, "reloaded": true})
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request, _ *tokens.AccessClaims) {
	f, err := ParseAuditFilter(r.URL.Query())
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_request", Message: err.Error()})
		return
	}
	recs, err := a.Audit(r.Context(), f)
	if err != nil {
		a.fail(w, err)
		return
	}
	events := make([]json.RawMessage, 0, len(recs))
	// An empty page leaves the cursor where it was: 0 would start over.
	last := f.AfterSeq
	for _, rec := range recs {
		var m map[string]any
		if json.Unmarshal(rec.Payload, &m) == nil {
			m["seq"] = rec.Seq
			b, _ := json.Marshal(m)
			events = append(events, b)
		}
		last = rec.Seq
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": events, "next_after": last})
}

func (a *API) verifyAudit(w http.ResponseWriter, r *http.Request, _ *tokens.AccessClaims) {
	rep, err := a.VerifyAudit(r.Context())
	if err != nil {
		a.fail(w, err)
		return
	}
	problems := make([]string, 0, len(rep.Problems))
	for _, p := range rep.Problems {
		problems = append(problems, p.String())
	}
	writeJSON(w, http.StatusOK, map[string]any{"intact": rep.OK(), "records": rep.Records, "problems": problems, "last_seq": rep.LastSeq})
}
