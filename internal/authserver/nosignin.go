package authserver

import "net/http"

// signsIn reports whether anybody can sign in here. Without an identity
// provider (a machine-only deployment: no identity section in the
// configuration) only pre-registered client_credentials clients get
// tokens, and the authorization endpoint is not offered.
func (s *Server) signsIn() bool { return s.opt.Password != nil || s.opt.Redirect != nil }

// noSignIn answers the sign-in flow's endpoints when nobody signs in, and
// reports whether it did. /authorize gets a page that says why, with 404:
// the metadata lists no authorization endpoint. Nothing is redirected,
// whatever the request names: there is no code to send a client, and an
// error sent to an unverified redirect_uri would be an open redirect
// (RFC 6749 §4.1.2.1). The other pages of the flow are plain 404s, as
// /login and /callback are without their kind of provider.
func (s *Server) noSignIn(w http.ResponseWriter, r *http.Request) bool {
	if s.signsIn() {
		return false
	}
	if r.URL.Path != PathAuthorize {
		http.NotFound(w, r)
		return true
	}
	s.pages.render(w, http.StatusNotFound, "error.html", errorPage{
		Title:   "No sign-in here",
		Message: "This server signs nobody in.",
		Detail: "It gives tokens only to the machine clients its administrator configured (the client_credentials grant). " +
			"An application that opens a browser for you to sign in cannot connect to it.",
	})
	return true
}
