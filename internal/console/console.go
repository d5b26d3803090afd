package console

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/drawbridge-mcp/drawbridge/internal/webpage"
)

// The console as an OAuth client of Drawbridge's own authorization server.
const (
	// ClientID is the console's client id (config.ReservedClientIDs).
	ClientID = "drawbridge-console"
	// ClientName is how the sign-in page names the console.
	ClientName = "Drawbridge console"
	// ResourceTitle is how the sign-in page names what it signs in to.
	ResourceTitle = "your Drawbridge account"
	// Path is where the console lives; every page is under it.
	Path = "/console"
	// CallbackPath receives the authorization response.
	CallbackPath = Path + "/callback"
)

// Resource is the resource (token audience) the console signs in for.
func Resource(issuer string) string { return issuer + Path }

// RedirectURI is the console's registered redirect URI.
func RedirectURI(issuer string) string { return issuer + CallbackPath }

// Redeemer redeems an authorization code in-process
// (authserver.Server.RedeemCode).
type Redeemer interface {
	RedeemCode(r *http.Request, clientID, code, verifier, redirectURI string) (string, error)
}

// Options configures the console.
type Options struct {
	Issuer string
	Store  storage.Store
	// Sessions keeps console sessions (every backend implements it).
	Sessions storage.ConsoleSessionStore
	// Admin holds the administrators' actions and the rule for who is one.
	Admin    *admin.API
	Redeemer Redeemer
	Verifier tokens.AccessVerifier
	// Revoker ends the grant of a console session at sign-out; default one
	// over Store with no revocation list and no audit trail.
	Revoker *revoke.Revoker
	// Clients are the pre-registered clients, which the store does not hold.
	Clients []storage.Client
	// Resources names each MCP server's resource URL.
	Resources map[string]string
	// ScopeDescriptions explain scopes.
	ScopeDescriptions map[string]string
	// AllowedNetworks, if set, are the only client addresses admitted to
	// the administrators' pages (admin.allowed_networks).
	AllowedNetworks []netip.Prefix
	// SecureCookies: __Host- cookies marked Secure (https public URLs).
	SecureCookies bool
	SessionTTL    time.Duration
	// LoginTTL is how long a sign-in may take.
	LoginTTL time.Duration
	Log      *slog.Logger
	Now      func() time.Time
}

// Console serves /console.
type Console struct {
	opt     Options
	pages   map[string]*template.Template
	clients map[string]storage.Client
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// New builds the console.
func New(o Options) (*Console, error) {
	if o.Store == nil || o.Sessions == nil || o.Admin == nil || o.Redeemer == nil || o.Verifier == nil {
		return nil, fmt.Errorf("console: store, sessions, admin, redeemer and verifier are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 8 * time.Hour
	}
	if o.LoginTTL <= 0 {
		o.LoginTTL = 10 * time.Minute
	}
	if o.Revoker == nil {
		o.Revoker = revoke.New(revoke.Options{Store: o.Store, Now: o.Now})
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{opt: o, pages: pages, clients: map[string]storage.Client{}}
	for _, cl := range o.Clients {
		c.clients[cl.ID] = cl
	}
	return c, nil
}

// Routes mounts the console. Handlers check the method themselves, so that
// a wrong one gets a page a person can read rather than the mux's plain
// text.
func (c *Console) Routes(mux *http.ServeMux) {
	mux.HandleFunc(Path, c.get(c.home))
	mux.HandleFunc(Path+"/", c.notFound)
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle(Path+"/static/", http.StripPrefix(Path+"/static/", webpage.Static(static)))
	mux.HandleFunc(Path+"/login", c.get(c.startLogin))
	mux.HandleFunc(CallbackPath, c.get(c.callback))
	mux.HandleFunc(Path+"/logout", c.post(c.signedIn(c.logout)))
	mux.HandleFunc(Path+"/agents/revoke", c.post(c.signedIn(c.revokeAgent)))

	a := func(p string, h handler) { mux.HandleFunc(Path+"/admin"+p, h) }
	a("", c.get(c.adminOnly(c.adminHome)))
	a("/clients", c.get(c.adminOnly(c.clientsPage)))
	a("/clients/disable", c.post(c.adminOnly(c.disableClient)))
	a("/clients/enable", c.post(c.adminOnly(c.enableClient)))
	a("/clients/delete", c.post(c.adminOnly(c.deleteClient)))
	a("/clients/timeline", c.get(c.adminOnly(c.timelinePage)))
	a("/blocks/add", c.post(c.adminOnly(c.blockClient)))
	a("/blocks/remove", c.post(c.adminOnly(c.unblockClient)))
	a("/grants", c.get(c.adminOnly(c.grantsPage)))
	a("/grants/revoke", c.post(c.adminOnly(c.revokeGrant)))
	a("/grants/revoke-all", c.post(c.adminOnly(c.revokeGrants)))
	a("/consents/withdraw", c.post(c.adminOnly(c.withdrawConsent)))
	a("/servers", c.get(c.adminOnly(c.serversPage)))
	a("/tools", c.get(c.adminOnly(c.toolsPage)))
	a("/tools/approve", c.post(c.adminOnly(c.approveTool)))
	a("/tools/reject", c.post(c.adminOnly(c.rejectTool)))
	a("/keys", c.get(c.adminOnly(c.keysPage)))
	a("/keys/rotate", c.post(c.adminOnly(c.rotateKeys)))
	a("/audit", c.get(c.adminOnly(c.auditPage)))
	a("/audit/verify", c.get(c.adminOnly(c.verifyAudit)))
}

// Collect removes expired sessions (the server's garbage collection).
func (c *Console) Collect(ctx context.Context) (int, error) {
	return c.opt.Sessions.DeleteExpiredConsoleSessions(ctx, c.opt.Now())
}

type handler = http.HandlerFunc

func (c *Console) get(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			c.errorPage(w, r, http.StatusMethodNotAllowed, "This address only shows a page; it does not accept forms.", "")
			return
		}
		h(w, r)
	}
}

func (c *Console) post(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			c.errorPage(w, r, http.StatusMethodNotAllowed, "This address only accepts a form from the console.", "Go back to the console and use its buttons.")
			return
		}
		h(w, r)
	}
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == Path+"/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		http.Redirect(w, r, Path, http.StatusMovedPermanently) // the address people type
		return
	}
	c.errorPage(w, r, http.StatusNotFound, "There is no such page in the console.", "")
}
