package authserver

import (
	"errors"
	"net/http"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
)

// When the store cannot answer (the database is restarting, unreachable or
// overloaded), nothing about the request is wrong and the same request will
// work shortly. Clients must hear exactly that, and nothing that makes them
// throw state away: not invalid_client (they would register again), not
// invalid_grant (they would drop the refresh token and send the user back to
// sign in), not a generic 500.

// errStoreFailed marks a store failure inside an error that is otherwise
// about a client, so that callers can tell "no such client" from "could not
// look".
var errStoreFailed = errors.New("the store could not be read")

// unavailable is the JSON answer (token, registration, revocation
// endpoints): 503 temporarily_unavailable, which clients retry.
func unavailable() *oauth.Error {
	return oauth.NewError(oauth.ErrTemporarilyUnavailable,
		"the authorization server cannot reach its database right now; try again shortly").WithStatus(http.StatusServiceUnavailable)
}

// unavailableRedirect is the same for the client, sent back through the
// browser with RFC 6749 §4.1.2.1's temporarily_unavailable.
func unavailableRedirect() *oauth.Error {
	return oauth.NewError(oauth.ErrTemporarilyUnavailable, "the authorization server cannot reach its database right now; try again shortly")
}

// unavailablePage tells a person in a browser to try again.
func (s *Server) unavailablePage(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "5")
	s.errorPage(w, http.StatusServiceUnavailable, "The server cannot reach its database right now.",
		"Nothing was lost. Please try again in a moment.")
}
