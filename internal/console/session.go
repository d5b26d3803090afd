package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// Two cookies, both HttpOnly, SameSite=Lax, Path=/ and, on https, Secure
// with the __Host- prefix (no Domain: no sibling host can set or overwrite
// them, RFC 6265bis §4.1.3.2). On a plain-http loopback URL, where a
// browser refuses Secure cookies, they carry the plain name instead.
//
//   - the login cookie holds a random secret for one sign-in: the state and
//     the PKCE verifier are derived from it, so the authorization response
//     is only accepted in the browser that started the sign-in;
//   - the session cookie holds the session id; the store has only its hash,
//     and the CSRF token of every form is derived from it.
//
// Lax, not Strict: after signing in at the identity provider the browser
// comes back through a cross-site redirect chain, which must carry them.
const (
	loginCookie   = "drawbridge-console-login"
	sessionCookie = "drawbridge-console"
	cookieLen     = 47 // tokens.NewOpaque: a 4-byte prefix and 32 random bytes
)

func (c *Console) cookieName(base string) string {
	if c.opt.SecureCookies {
		return "__Host-" + base
	}
	return base
}

func (c *Console) setCookie(w http.ResponseWriter, base, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(base), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.opt.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (c *Console) cookie(r *http.Request, base, prefix string) string {
	ck, err := r.Cookie(c.cookieName(base))
	if err != nil || len(ck.Value) != cookieLen || !strings.HasPrefix(ck.Value, prefix) {
		return ""
	}
	return ck.Value
}

// derive returns a value only the holder of secret can compute.
func derive(secret, purpose string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func equalSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// startLogin sends the browser to Drawbridge's own authorization endpoint
// as the console client, with PKCE S256 and a state bound to this browser.
func (c *Console) startLogin(w http.ResponseWriter, r *http.Request) {
	secret := tokens.NewOpaque("dbl_")
	c.setCookie(w, loginCookie, secret, int(c.opt.LoginTTL.Seconds()))
	q := url.Values{
		"response_type": {"code"}, "client_id": {ClientID}, "redirect_uri": {RedirectURI(c.opt.Issuer)},
		"resource": {Resource(c.opt.Issuer)}, "state": {derive(secret, "state")},
		"code_challenge": {oauth.S256Challenge(derive(secret, "pkce"))}, "code_challenge_method": {"S256"},
	}
	http.Redirect(w, r, "/authorize?"+q.Encode(), http.StatusSeeOther)
}

// callback takes the authorization response (RFC 6749 §4.1.2, RFC 9207),
// redeems the code in-process and starts a session.
func (c *Console) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	secret := c.cookie(r, loginCookie, "dbl_")
	c.setCookie(w, loginCookie, "", -1) // one sign-in, one use
	again := "Start again from the console's sign-in page."
	switch {
	case secret == "" || !equalSecret(q.Get("state"), derive(secret, "state")):
		c.errorPage(w, r, http.StatusBadRequest, "This sign-in was started in another browser, or it has expired.", again)
		return
	case q.Get("iss") != c.opt.Issuer:
		c.errorPage(w, r, http.StatusBadRequest, "The sign-in response did not come from this server.", again)
		return
	case q.Get("error") == oauth.ErrAccessDenied:
		c.errorPage(w, r, http.StatusForbidden, "Sign-in was cancelled or refused.", again)
		return
	case q.Get("error") != "" || q.Get("code") == "":
		c.opt.Log.Info("console sign-in failed", "error", truncate(q.Get("error")))
		c.errorPage(w, r, http.StatusBadRequest, "Sign-in did not complete.", again)
		return
	}
	at, err := c.opt.Redeemer.RedeemCode(r, ClientID, q.Get("code"), derive(secret, "pkce"), RedirectURI(c.opt.Issuer))
	if err != nil {
		c.opt.Log.Warn("console sign-in: code refused", "err", err)
		c.errorPage(w, r, http.StatusBadRequest, "Sign-in could not be completed.", again)
		return
	}
	claims, err := c.opt.Verifier.Verify(r.Context(), at, Resource(c.opt.Issuer))
	if err != nil {
		c.opt.Log.Error("console sign-in: the new token does not verify", "err", err)
		c.errorPage(w, r, http.StatusInternalServerError, "Signing in failed on the server.", again)
		return
	}
	if err := c.startSession(w, r, claims); err != nil {
		c.opt.Log.Error("console sign-in: storing the session", "err", err)
		c.errorPage(w, r, http.StatusInternalServerError, "Signing in failed on the server.", again)
		return
	}
	c.opt.Log.Info("console signed in", "sub", claims.Subject, "grant", claims.GrantID, "remote", clientaddr.String(r))
	http.Redirect(w, r, Path, http.StatusSeeOther)
}

func (c *Console) startSession(w http.ResponseWriter, r *http.Request, claims *tokens.AccessClaims) error {
	now := c.opt.Now()
	exp := now.Add(c.opt.SessionTTL)
	if g, err := c.opt.Store.GetGrant(r.Context(), claims.GrantID); err != nil {
		return err
	} else if !g.ExpiresAt.IsZero() && g.ExpiresAt.Before(exp) {
		exp = g.ExpiresAt
	}
	id := tokens.NewOpaque("dbc_")
	err := c.opt.Sessions.CreateConsoleSession(r.Context(), storage.ConsoleSession{
		Hash: tokens.Hash(id), GrantID: claims.GrantID, CreatedAt: now, ExpiresAt: exp,
		Identity: storage.Identity{Subject: claims.Subject, Email: claims.Email, Name: claims.Name,
			Groups: claims.Groups, Provider: claims.IdP},
	})
	if err != nil {
		return err
	}
	c.setCookie(w, sessionCookie, id, int(exp.Sub(now).Seconds()))
	return nil
}

// session is a signed-in browser.
type session struct {
	storage.ConsoleSession
	// csrf is the token every form of this session carries.
	csrf  string
	admin bool
}

// load finds the browser's session. It is gone once expired, or once its
// grant is revoked (signed out elsewhere, or by an administrator) or
// expired: the store is asked every time, so this holds on every replica at
// once.
func (c *Console) load(r *http.Request) (*session, error) {
	id := c.cookie(r, sessionCookie, "dbc_")
	if id == "" {
		return nil, nil
	}
	ctx := r.Context()
	now := c.opt.Now()
	cs, err := c.opt.Sessions.GetConsoleSession(ctx, tokens.Hash(id), now)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	g, err := c.opt.Store.GetGrant(ctx, cs.GrantID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && (g.Revoked() || (!g.ExpiresAt.IsZero() && !g.ExpiresAt.After(now)))) {
		_ = c.opt.Sessions.DeleteConsoleSession(ctx, cs.Hash)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &session{ConsoleSession: cs, csrf: derive(id, "csrf"),
		admin: c.opt.Admin.IsAdmin(cs.Identity.Subject, cs.Identity.Groups) && c.adminNetwork(r)}, nil
}

type sessionKey struct{}

func current(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}

// signedIn runs h with the browser's session. Without one, a page request
// is sent to the console's start page to sign in; a form is refused.
// Forms must carry the session's CSRF token and, when the browser says
// where they come from, come from this site.
func (c *Console) signedIn(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := c.load(r)
		if err != nil {
			c.opt.Log.Error("console: loading the session", "err", err)
			c.errorPage(w, r, http.StatusInternalServerError, "The console could not check your session.", "Please try again.")
			return
		}
		if s == nil {
			if r.Method == http.MethodPost {
				c.errorPage(w, r, http.StatusUnauthorized, "You are not signed in, or your session has ended. Nothing was changed.", "")
				return
			}
			http.Redirect(w, r, Path, http.StatusSeeOther)
			return
		}
		r = withSession(r, s)
		if r.Method == http.MethodPost && !c.checkForm(w, r, s) {
			return
		}
		h(w, r)
	}
}

// withSession hands the loaded session to the handlers (see signedIn).
func withSession(r *http.Request, s *session) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), sessionKey{}, s))
}

func (c *Console) checkForm(w http.ResponseWriter, r *http.Request, s *session) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "The form could not be read. Nothing was changed.", "")
		return false
	}
	origin := r.Header.Get("Origin")
	site := r.Header.Get("Sec-Fetch-Site")
	if (origin != "" && origin != "null" && origin != issuerOrigin(c.opt.Issuer)) || (site != "" && site != "same-origin") ||
		!equalSecret(r.PostForm.Get("csrf"), s.csrf) {
		c.opt.Log.Warn("console: form refused (CSRF check)", "path", r.URL.Path, "remote", clientaddr.String(r))
		c.errorPage(w, r, http.StatusForbidden, "This form has expired or did not come from the console. Nothing was changed.",
			"Reload the page and try again.")
		return false
	}
	return true
}

func issuerOrigin(issuer string) string {
	u, err := url.Parse(issuer)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// adminOnly runs h for administrators reaching the console from an
// allowed network; anyone else gets 403.
func (c *Console) adminOnly(h handler) handler {
	return c.signedIn(func(w http.ResponseWriter, r *http.Request) {
		s := current(r.Context())
		if !c.adminNetwork(r) {
			c.errorPage(w, r, http.StatusForbidden, "The administration pages cannot be reached from your network.", "")
			return
		}
		if !s.admin {
			c.errorPage(w, r, http.StatusForbidden, "These pages are for Drawbridge administrators, and you are not one.",
				"Ask an administrator if you need access. Your own connected agents are on the console's first page.")
			return
		}
		h(w, r)
	})
}

// adminNetwork: the request comes from where administration is allowed.
func (c *Console) adminNetwork(r *http.Request) bool {
	return len(c.opt.AllowedNetworks) == 0 || clientaddr.Contains(c.opt.AllowedNetworks, clientaddr.From(r.Context()))
}

// logout ends the session and the grant it rests on.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	s := current(r.Context())
	err := c.opt.Revoker.Revoke(r.Context(), s.GrantID, "signed_out", c.actor(r))
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		c.opt.Log.Warn("console sign-out: revoking the grant", "err", err)
	}
	_ = c.opt.Sessions.DeleteConsoleSession(r.Context(), s.Hash)
	c.setCookie(w, sessionCookie, "", -1)
	c.render(w, r, http.StatusOK, "signedout.html", &view{Title: "Signed out"})
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}
