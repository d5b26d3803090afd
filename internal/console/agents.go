package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// agent is one client a user approved, with what they approved and how
// it has been used since.
type agent struct {
	clientInfo
	// Access lists, per server, the scopes approved for it: consent is per
	// server, so scopes are never shown apart from their server.
	Access   []serverAccess
	Approved time.Time
	LastUsed time.Time
	// Grants counts the live authorizations (one per sign-in the client
	// still holds tokens from).
	Grants int
}

type scopeView struct{ Name, Description string }

// serverAccess is one server an agent may use and its scopes there.
type serverAccess struct {
	Server string
	Scopes []scopeView
}

// home is the console's first page: the signed-in user's connected agents,
// or, for a browser with no session, the way to sign in.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path {
		c.notFound(w, r)
		return
	}
	s, err := c.load(r)
	if err != nil {
		c.opt.Log.Error("console: loading the session", "err", err)
		c.errorPage(w, r, http.StatusInternalServerError, "The console could not check your session.", "Please try again.")
		return
	}
	if s == nil {
		c.render(w, r, http.StatusOK, "signin.html", &view{Title: "Drawbridge console"})
		return
	}
	// Signed in: the agents page, with the session just loaded (a GET
	// needs no form check, and signedIn would load it a second time).
	c.agentsPage(w, withSession(r, s))
}

func (c *Console) agentsPage(w http.ResponseWriter, r *http.Request) {
	s := current(r.Context())
	agents, err := c.agents(r, s.Identity.Subject)
	if err != nil {
		c.opt.Log.Error("console: listing agents", "err", err)
		c.errorPage(w, r, http.StatusInternalServerError, "Your connected agents could not be loaded.", "Please try again.")
		return
	}
	c.render(w, r, http.StatusOK, "agents.html", &view{Title: "Your connected agents", Section: "agents",
		Notice: notice(r.URL.Query()), Data: agents})
}

// agents gathers, per client, the user's consent and live grants. A client
// that needed no consent (a pre-registered one) shows through its grants.
func (c *Console) agents(r *http.Request, subject string) ([]agent, error) {
	ctx := r.Context()
	consents, err := c.opt.Store.ListConsents(ctx, subject)
	if err != nil {
		return nil, err
	}
	grants, err := c.opt.Store.ListGrants(ctx, storage.GrantFilter{Subject: subject})
	if err != nil {
		return nil, err
	}
	byID := map[string]*agent{}
	var order []string
	get := func(id string) *agent {
		if a, ok := byID[id]; ok {
			return a
		}
		byID[id] = &agent{}
		order = append(order, id)
		return byID[id]
	}
	// scopes[client][resource]: what the consent and the live grants hold.
	scopes := map[string]map[string][]string{}
	add := func(client, resource string, sc []string) {
		if scopes[client] == nil {
			scopes[client] = map[string][]string{}
		}
		scopes[client][resource] = oauth.ScopeUnion(scopes[client][resource], sc)
	}
	for _, cs := range consents {
		a := get(cs.ClientID)
		a.Approved = cs.CreatedAt
		for res, sc := range cs.Approved {
			add(cs.ClientID, res, sc)
		}
	}
	now := c.opt.Now()
	for _, g := range grants {
		if g.Revoked() || (!g.ExpiresAt.IsZero() && !g.ExpiresAt.After(now)) {
			continue
		}
		a := get(g.ClientID)
		a.Grants++
		if a.Approved.IsZero() || g.CreatedAt.Before(a.Approved) {
			a.Approved = g.CreatedAt
		}
		if g.LastUsedAt.After(a.LastUsed) {
			a.LastUsed = g.LastUsedAt
		}
		add(g.ClientID, g.Resource, g.Scopes)
	}
	out := make([]agent, 0, len(order))
	for _, id := range order {
		if id == ClientID {
			continue // the console itself: signing out ends it
		}
		a := byID[id]
		if a.clientInfo, err = c.client(ctx, id); err != nil {
			return nil, err
		}
		a.Access = c.access(scopes[id])
		out = append(out, *a)
	}
	slices.SortStableFunc(out, func(x, y agent) int { return y.LastUsed.Compare(x.LastUsed) })
	return out, nil
}

// access describes resource → scopes as the pages show it: by server
// name, each server's scopes with their descriptions.
func (c *Console) access(byResource map[string][]string) []serverAccess {
	out := make([]serverAccess, 0, len(byResource))
	for res, sc := range byResource {
		sa := serverAccess{Server: c.serverName(res)}
		for _, name := range sc {
			sa.Scopes = append(sa.Scopes, scopeView{Name: name, Description: c.opt.ScopeDescriptions[name]})
		}
		out = append(out, sa)
	}
	slices.SortFunc(out, func(x, y serverAccess) int { return strings.Compare(x.Server, y.Server) })
	return out
}

func (c *Console) serverName(resource string) string {
	if t, ok := c.opt.Resources[resource]; ok && t != "" {
		return t
	}
	return resource
}

// revokeAgent withdraws the user's consent for a client and revokes every
// grant the user gave it: its refresh tokens are deleted and its access
// tokens refused from the next request on (this replica's revocation list
// learns at once, the others within their sync interval).
func (c *Console) revokeAgent(w http.ResponseWriter, r *http.Request) {
	s := current(r.Context())
	id := r.PostForm.Get("client")
	if id == "" || id == ClientID || len(id) > 2048 {
		c.errorPage(w, r, http.StatusBadRequest, "Choose an agent to revoke from the list. Nothing was changed.", "")
		return
	}
	who := c.actor(r)
	n, err := c.opt.Admin.WithdrawConsent(r.Context(), who, s.Identity.Subject, id, "revoked_by_user")
	if err != nil {
		c.opt.Log.Error("console: revoking an agent", "err", err)
		c.errorPage(w, r, http.StatusInternalServerError, "The agent's access could not be revoked.", "Please try again.")
		return
	}
	c.opt.Log.Info("agent revoked by its user", "sub", s.Identity.Subject, "client_id", id, "grants", n)
	done(w, r, Path, "agent_revoked", n)
}

// done sends the browser back to a page after a change (POST, redirect,
// GET), with a notice of what happened.
func done(w http.ResponseWriter, r *http.Request, page, what string, n int) {
	q := url.Values{"done": {what}}
	if n >= 0 {
		q.Set("n", strconv.Itoa(n))
	}
	http.Redirect(w, r, page+"?"+q.Encode(), http.StatusSeeOther)
}

// notice turns ?done= back into words; unknown values say nothing, so a
// link cannot make the page say anything else.
func notice(q url.Values) string {
	n := "some"
	if v, err := strconv.Atoi(q.Get("n")); err == nil && v >= 0 {
		n = strconv.Itoa(v)
	}
	switch q.Get("done") {
	case "agent_revoked":
		return "Access revoked: the agent's tokens no longer work (" + n + " authorization(s) ended). It has to ask you again to reconnect."
	case "client_disabled":
		return "Client disabled; " + n + " grant(s) revoked."
	case "client_enabled":
		return "Client enabled."
	case "client_deleted":
		return "Client deleted; " + n + " grant(s) revoked."
	case "client_blocked":
		return "Blocked; " + n + " grant(s) revoked. Matching clients are refused from now on."
	case "client_unblocked":
		return "Unblocked. Grants revoked by the block stay revoked."
	case "grant_revoked":
		return "Grant revoked."
	case "grants_revoked":
		return n + " grant(s) revoked."
	case "consent_withdrawn":
		return "Consent withdrawn; " + n + " grant(s) revoked."
	case "tool_approved":
		return "Approved: clients see the tool with this definition and may call it, from their next list or call."
	case "tool_rejected":
		return "Rejected: the tool stays hidden, and its calls refused, while the server shows this definition."
	case "key_rotated":
		return "A new signing key is current. The previous ones stay published until the tokens they signed expire."
	}
	return ""
}
