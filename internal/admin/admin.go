package admin

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/pinning"
	"github.com/drawbridge-mcp/drawbridge/internal/requestid"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// Scope is what an admin token must carry.
const Scope = "admin"

// Path is where the API lives; Resource is the public URL + "/admin".
const Path = "/admin"

// Backend is one MCP server behind Drawbridge as the admin API shows it (the
// API and the console keep calling it a server, as users do).
type Backend struct {
	Name, Path, Resource, Upstream string
	// Health probes the backend; nil means no probe.
	Health func(context.Context) error
	// Members are a composed server's members as last seen; nil for
	// other servers.
	Members func() []MemberStatus
	// Reload reads the server's OpenAPI documents again (its own, or its
	// members'); nil when it has none.
	Reload func(context.Context) error
}

// MemberStatus is a composed server's member as the server last saw it.
type MemberStatus struct {
	Name string `json:"name"`
	// State is up, down, or unknown (not contacted yet: a member whose
	// credential acts for the caller is listed at the first call).
	State string `json:"state"`
	// Since is when the state last changed (absent when unknown).
	Since *time.Time `json:"since,omitempty"`
	// LastError is why it is down; it never carries a credential.
	LastError string `json:"last_error,omitempty"`
}

// Options configures the API.
type Options struct {
	Issuer string
	Store  storage.Store
	Keys   *tokens.Keys
	// Revoker revokes grants (store, this replica's revocation list, audit
	// trail); default one over Store and Record with no revocation list.
	Revoker  *revoke.Revoker
	Verifier tokens.AccessVerifier
	// Users and Groups are the administrators.
	Users, Groups []string
	// AllowedNetworks, if set, are the only client addresses admitted.
	AllowedNetworks []netip.Prefix
	SealKeys        []audit.SealKey
	Backends        []Backend
	// Pins is told of each tool pin decided here, so that the decision
	// takes effect at once on this replica (others read it within
	// pinning.RefreshEvery); nil tells nobody.
	Pins *pinning.Guard
	// Record receives admin actions for the audit trail.
	Record audit.Emitter
	Log    *slog.Logger
	Now    func() time.Time
}

// API serves /admin/api/.
type API struct {
	opt      Options
	resource string
	// dpop checks the proofs of DPoP-bound tokens (possession.go).
	dpop *dpop.Checker
}

// New builds the API.
func New(o Options) *API {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Revoker == nil {
		o.Revoker = revoke.New(revoke.Options{Store: o.Store, Audit: o.Record, Now: o.Now})
	}
	return &API{opt: o, resource: o.Issuer + Path, dpop: &dpop.Checker{Replay: o.Store, Now: o.Now}}
}

// Resource is the API's resource URL (token audience).
func (a *API) Resource() string { return a.resource }

// MetadataURL is where its protected resource metadata is served.
func (a *API) MetadataURL() string {
	return a.opt.Issuer + "/.well-known/oauth-protected-resource" + Path
}

// Routes mounts the API and its metadata.
func (a *API) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /.well-known/oauth-protected-resource"+Path, a.metadata)
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request, *tokens.AccessClaims)) {
		mux.HandleFunc(pattern, a.guard(fn))
	}
	h("GET /admin/api/clients", a.listClients)
	h("POST /admin/api/clients/{id}/disable", a.disableClient)
	h("POST /admin/api/clients/{id}/enable", a.enableClient)
	h("DELETE /admin/api/clients/{id}", a.deleteClient)
	h("GET /admin/api/grants", a.listGrants)
	h("POST /admin/api/grants/{id}/revoke", a.revokeGrant)
	h("POST /admin/api/grants/revoke", a.revokeGrants)
	h("GET /admin/api/blocks", a.listBlocks)
	h("POST /admin/api/blocks", a.blockClient)
	h("DELETE /admin/api/blocks", a.unblockClient)
	h("GET /admin/api/tools", a.listToolPins)
	h("GET /admin/api/tools/pending", a.listPendingTools)
	h("POST /admin/api/tools/approve", a.approveTool)
	h("POST /admin/api/tools/reject", a.rejectTool)
	h("GET /admin/api/consents", a.listConsents)
	h("DELETE /admin/api/consents", a.deleteConsent)
	h("GET /admin/api/keys", a.listKeys)
	h("POST /admin/api/keys/rotate", a.rotateKeys)
	h("GET /admin/api/servers", a.listServers)
	h("POST /admin/api/servers/reload", a.reloadServer)
	h("GET /admin/api/audit", a.listAudit)
	h("GET /admin/api/audit/verify", a.verifyAudit)
	h("GET /admin/api/timeline", a.clientTimeline)
}

func (a *API) metadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, oauth.ProtectedResourceMetadata{
		Resource: a.resource, AuthorizationServers: []string{a.opt.Issuer}, ScopesSupported: []string{Scope},
		BearerMethodsSupported: []string{"header"}, ResourceName: "Drawbridge administration",
		// RFC 9449 §5.2: DPoP-bound tokens are accepted too (possession.go).
		DPoPSigningAlgValuesSupported: dpop.AlgorithmNames(),
	})
}

// guard admits a request only with a valid token for this API, carrying
// the admin scope, whose subject or groups name an administrator.
func (a *API) guard(fn func(http.ResponseWriter, *http.Request, *tokens.AccessClaims)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if len(a.opt.AllowedNetworks) > 0 && !clientaddr.Contains(a.opt.AllowedNetworks, clientaddr.From(r.Context())) {
			writeJSON(w, http.StatusForbidden, apiError{Error: "forbidden", Message: "the admin API is not reachable from this address"})
			return
		}
		ch := oauth.BearerChallenge{ResourceMetadata: a.MetadataURL(), Scope: []string{Scope}}
		scheme, raw, ok := oauth.AccessToken(r)
		if !ok {
			challenge(w, http.StatusUnauthorized, ch)
			return
		}
		c, err := a.opt.Verifier.Verify(r.Context(), raw, a.resource)
		if err != nil {
			ch.Error = oauth.ErrInvalidToken
			challenge(w, http.StatusUnauthorized, ch)
			return
		}
		if refusal, status := a.checkPossession(r, scheme, raw, c); status != 0 {
			challenge(w, status, refusal)
			return
		}
		scopes, _ := oauth.ParseScope(c.Scope)
		if !slices.Contains(scopes, Scope) {
			ch.Error = oauth.ErrInsufficientScope
			challenge(w, http.StatusForbidden, ch)
			return
		}
		if !a.IsAdmin(c.Subject, c.Groups) {
			writeJSON(w, http.StatusForbidden, apiError{Error: "forbidden", Message: "you are not an administrator"})
			return
		}
		fn(w, r, c)
	}
}

func challenge(w http.ResponseWriter, status int, ch oauth.BearerChallenge) {
	w.Header().Set("WWW-Authenticate", ch.String())
	code := ch.Error
	if code == "" {
		code = oauth.ErrInvalidToken
	}
	writeJSON(w, status, apiError{Error: code, Message: "an administrator's access token for " + Path + " is required"})
}

type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail answers a store error: not found is 404, anything else 500 with no
// detail (the log has it).
func (a *API) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		writeJSON(w, http.StatusNotFound, apiError{Error: "not_found", Message: "no such object"})
		return
	case IsBadCursor(err):
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_request", Message: err.Error()})
		return
	case errors.Is(err, ErrBadBlock), errors.Is(err, ErrBadToolPin), errors.Is(err, ErrNotReloadable):
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_request", Message: err.Error()})
		return
	}
	if errors.Is(err, ErrReloadFailed) {
		// The reason is the document's (openapi.Load keeps a URL's key
		// out of it): the administrator needs it to fix the document.
		writeJSON(w, http.StatusBadGateway, apiError{Error: "reload_failed", Message: err.Error()})
		return
	}
	a.opt.Log.Error("admin API", "err", err)
	writeJSON(w, http.StatusInternalServerError, apiError{Error: "server_error", Message: "the operation failed; see the log"})
}

// actor is who called the API, for the audit trail.
func actor(r *http.Request, c *tokens.AccessClaims) Actor {
	return Actor{Subject: c.Subject, ClientID: c.ClientID, Remote: clientaddr.String(r), RequestID: requestid.From(r.Context())}
}
