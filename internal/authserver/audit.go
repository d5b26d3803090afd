package authserver

import (
	"net/http"
	"net/url"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/requestid"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// record sends an audit event stamped with the request's id and address.
// Events carry identifiers only: never a token, code, secret or password.
func (s *Server) record(r *http.Request, e audit.Event) {
	if s.opt.Audit == nil {
		return
	}
	e.Time = s.opt.Now()
	e.RequestID = requestid.From(r.Context())
	e.Remote = clientIP(r)
	s.opt.Audit.Record(e)
}

// actor is the request that makes a revocation, for its audit record.
func actor(r *http.Request) revoke.Actor {
	return revoke.Actor{Remote: clientIP(r), RequestID: requestid.From(r.Context())}
}

func (s *Server) recordIssued(r *http.Request, grantType string, g *storage.Grant, scopes []string) {
	s.record(r, audit.Event{Type: audit.TokenIssued, GrantType: grantType, Subject: g.Identity.Subject,
		ClientID: g.ClientID, GrantID: g.ID, Scope: oauth.FormatScope(scopes), Resource: g.Resource, UserAgent: userAgent(r)})
}

// recordTokenFailure records an error answer of the token endpoint: who
// asked (the authenticated client, else the client_id it gave), for which
// grant when a code named one, and the error sent. The description is the
// one the client received, which never carries what it sent.
func (s *Server) recordTokenFailure(r *http.Request, form url.Values, tr *tokenRequest, oerr *oauth.Error) {
	e := audit.Event{Type: audit.TokenFailed, GrantType: audit.Detail(form.Get("grant_type")), Reason: oerr.Code,
		Detail: audit.Detail(oerr.Description), Resource: audit.Detail(form.Get("resource")), UserAgent: userAgent(r)}
	switch {
	case tr != nil:
		e.ClientID, e.GrantID = tr.client.ID, tr.grantID
	default:
		if id := claimedClientID(r, form); len(id) <= 512 && storage.Storable(id) {
			e.ClientID = id
		}
	}
	s.record(r, e)
}

// claimedClientID is the client_id a token request names, authenticated
// or not.
func claimedClientID(r *http.Request, form url.Values) string {
	if user, _, ok := r.BasicAuth(); ok {
		if id, err := url.QueryUnescape(user); err == nil {
			return id
		}
	}
	return form.Get("client_id")
}

// attemptOf names an authorization request in the audit trail: a digest of
// its id, so that the trail never holds the id the sign-in pages take.
func attemptOf(req *storage.AuthRequest) string {
	return tokens.Hash("attempt:" + req.ID)[:16]
}

// recordRefused records an authorization request that went no further,
// with what the client asked for, so that an administrator can see why
// (package timeline). The values are the client's own and are cleaned.
func (s *Server) recordRefused(r *http.Request, q url.Values, reason, detail string) {
	id := q.Get("client_id")
	if len(id) > 512 || !storage.Storable(id) {
		id = ""
	}
	s.record(r, audit.Event{Type: audit.AuthorizeRefused, ClientID: id, Reason: reason, Detail: audit.Detail(detail),
		Resource: audit.Detail(q.Get("resource")), Scope: audit.Detail(q.Get("scope"))})
}

// userAgent is the request's User-Agent, cleaned for an event.
func userAgent(r *http.Request) string { return audit.UserAgent(r.UserAgent()) }
