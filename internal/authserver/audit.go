package authserver

import (
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/requestid"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
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
		ClientID: g.ClientID, GrantID: g.ID, Scope: oauth.FormatScope(scopes), Resource: g.Resource})
}
