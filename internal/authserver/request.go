package authserver

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// loadRequest finds an authorization request in progress and checks that
// this browser started it. On failure it has already answered.
func (s *Server) loadRequest(w http.ResponseWriter, r *http.Request, id string) (*storage.AuthRequest, string, bool) {
	if id == "" || len(id) > 64 {
		s.errorPage(w, http.StatusBadRequest, "This page needs a sign-in request, and none was given.", "")
		return nil, "", false
	}
	req, err := s.opt.Store.GetAuthRequest(r.Context(), id, s.opt.Now())
	if errors.Is(err, storage.ErrNotFound) {
		s.requestGone(w)
		return nil, "", false
	}
	if err != nil {
		s.opt.Log.Error("loading authorization request", "err", err)
		s.unavailablePage(w)
		return nil, "", false
	}
	secret := s.browserSecret(w, r, false)
	if !equalSecret(tokens.Hash(secret), req.BrowserHash) {
		s.errorPage(w, http.StatusForbidden, "This sign-in request was started in another browser.",
			"For your safety it can only be completed in the browser your application opened.")
		return nil, "", false
	}
	return &req, secret, true
}

func (s *Server) backTo(req *storage.AuthRequest) *redirect {
	return &redirect{uri: req.RedirectURI, state: req.State, iss: s.opt.Issuer, debug: s.debugStep}
}

// redirectOrigin is the origin (or scheme, for private-use schemes) of the
// client's redirect URI, for the page's CSP form-action; "" when its host
// is not plain (oauth.CheckHost), which registration refuses but a client
// stored before that check may still have.
func redirectOrigin(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || oauth.CheckHost(uri) != nil {
		return ""
	}
	if u.Host == "" {
		return u.Scheme + ":"
	}
	return u.Scheme + "://" + u.Host
}

// clientView is how pages describe a client.
type clientView struct {
	ClientName    string
	SelfAsserted  bool
	ResourceTitle string
	// ClientHost is the host that publishes a metadata document client's
	// identity: the one thing about it that is not self-asserted.
	ClientHost string
	// LoopbackOnly: the client can only send you back to this computer,
	// so anyone could have published such a document in its name.
	LoopbackOnly bool
}

func (s *Server) describe(c *client, req *storage.AuthRequest) clientView {
	v := clientView{ClientName: c.Name, SelfAsserted: c.Kind != storage.ClientKindConfig, ResourceTitle: req.Resource,
		LoopbackOnly: c.onlyLoopback}
	if c.Kind == storage.ClientKindCIMD {
		if u, err := url.Parse(c.ID); err == nil {
			v.ClientHost = u.Host
		}
	}
	if v.ClientName == "" {
		v.ClientName = "An unnamed application"
	}
	if res, ok := s.resources[req.Resource]; ok && res.Title != "" {
		v.ResourceTitle = res.Title
	}
	return v
}
