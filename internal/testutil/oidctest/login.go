package oidctest

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"time"
)

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>oidctest: sign in</title></head>
<body>
<h1>Sign in</h1>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="id" value="{{.ID}}">
<label>Username <input name="username" autocomplete="username" autofocus></label>
<button type="submit">Sign in</button>
</form>
<p>Users: {{range .Users}}<code>{{.}}</code> {{end}}</p>
</body></html>
`))

type loginData struct {
	Action, ID, Error string
	Users             []string
}

// serveLogin is the login page the op library redirects to (Client.LoginURL).
// GET shows a form, or signs the auto-login user in at once; POST signs in
// the chosen username and returns the browser to the library's callback,
// which issues the code.
func (p *Provider) serveLogin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id := r.Form.Get("id")
	if _, err := p.store.AuthRequestByID(r.Context(), id); err != nil {
		http.Error(w, "unknown or finished authorization request", http.StatusBadRequest)
		return
	}
	username := ""
	switch r.Method {
	case http.MethodGet:
		p.store.mu.Lock()
		username = p.store.autoLogin
		p.store.mu.Unlock()
	case http.MethodPost:
		username = r.PostForm.Get("username")
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if username == "" {
		p.renderLogin(w, http.StatusOK, id, "")
		return
	}
	if err := p.store.completeLogin(id, username); err != nil {
		p.renderLogin(w, http.StatusUnauthorized, id, "Unknown user.")
		return
	}
	// The op library's callback route is the authorization endpoint plus
	// "/callback" (op.AuthCallbackURL).
	http.Redirect(w, r, p.base+p.paths.authorize+"/callback?id="+url.QueryEscape(id), http.StatusFound)
}

func (p *Provider) renderLogin(w http.ResponseWriter, status int, id, msg string) {
	p.store.mu.Lock()
	users := make([]string, 0, len(p.store.users))
	for name := range p.store.users {
		users = append(users, name)
	}
	p.store.mu.Unlock()
	slices.Sort(users)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, loginData{Action: p.base + p.paths.login, ID: id, Error: msg, Users: users})
}

// Login plays the user's browser for one sign-in: it opens authURL (the
// relying party's authorization request), follows the provider's redirects
// to the login page, signs in as username, and returns the URL the provider
// finally sends the browser to, without opening it. That URL is the relying
// party's redirect_uri with code and state, or with error and
// error_description when the provider refused the request.
//
// With SetAutoLogin in effect the login page is skipped and username is
// unused. An error means the flow did not reach the relying party: the
// provider was unreachable, answered with an error page, or did not know
// the user.
func (p *Provider) Login(ctx context.Context, authURL, username string) (*url.URL, error) {
	b, err := p.browser()
	if err != nil {
		return nil, err
	}
	resp, err := b.get(ctx, authURL)
	if err != nil {
		return nil, err
	}
	if u, ok := leftProvider(resp); ok {
		return u, nil
	}
	if resp.Request.URL.Path != p.paths.login || resp.StatusCode != http.StatusOK {
		return nil, unexpected(resp)
	}
	form := url.Values{"id": {resp.Request.URL.Query().Get("id")}, "username": {username}}
	if resp, err = b.post(ctx, p.base+p.paths.login, form); err != nil {
		return nil, err
	}
	if u, ok := leftProvider(resp); ok {
		return u, nil
	}
	return nil, unexpected(resp)
}

// browser is an HTTP client that follows redirects within the provider and
// stops at the first one that leaves it.
type browser struct{ c *http.Client }

func (p *Provider) browser() (*browser, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	host := p.srv.Listener.Addr().String()
	return &browser{c: &http.Client{
		Transport: p.srv.Client().Transport,
		Jar:       jar,
		Timeout:   10 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Host != host {
				return http.ErrUseLastResponse
			}
			if len(via) >= 10 {
				return errors.New("oidctest: too many redirects")
			}
			return nil
		},
	}}, nil
}

func (b *browser) get(ctx context.Context, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return b.do(req)
}

func (b *browser) post(ctx context.Context, u string, form url.Values) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// do reads and closes the body at once: callers look at status, headers and
// (for errors) a short excerpt.
func (b *browser) do(req *http.Request) (*http.Response, error) {
	resp, err := b.c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp, err
}

// leftProvider reports the redirect that took the browser away from the
// provider, if the response is one.
func leftProvider(resp *http.Response) (*url.URL, bool) {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return nil, false
	}
	loc, err := resp.Location()
	return loc, err == nil
}

func unexpected(resp *http.Response) error {
	body, _ := io.ReadAll(resp.Body)
	return fmt.Errorf("oidctest: login stopped at %s %s with %s: %s",
		resp.Request.Method, resp.Request.URL.Path, resp.Status, strings.TrimSpace(string(body)))
}
