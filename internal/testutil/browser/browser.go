package browser

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// Browser is a cookie-keeping HTTP client that stops at foreign redirects.
type Browser struct {
	Client *http.Client
	// Stop reports whether a redirect target is the client's callback.
	Stop func(*url.URL) bool
	// Trace lists every URL visited (for failure messages).
	Trace []string
}

// New returns a browser that stops at any URL whose host differs from
// every host in allowed (the gateway's, and the identity provider's).
func New(allowed ...string) *Browser {
	jar, _ := cookiejar.New(nil)
	b := &Browser{}
	b.Stop = func(u *url.URL) bool {
		for _, a := range allowed {
			if au, err := url.Parse(a); err == nil && au.Host == u.Host {
				return false
			}
		}
		return true
	}
	b.Client = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		b.Trace = append(b.Trace, req.Method+" "+req.URL.Redacted())
		if b.Stop(req.URL) {
			return http.ErrUseLastResponse
		}
		if len(via) > 20 {
			return fmt.Errorf("too many redirects")
		}
		return nil
	}}
	return b
}

// Page is a fetched page: the final response and its body.
type Page struct {
	Resp *http.Response
	Body string
	// Callback is set when the flow ended at the client's redirect URI.
	Callback *url.URL
}

// Get loads a URL.
func (b *Browser) Get(u string) (*Page, error) {
	b.Trace = append(b.Trace, "GET "+u)
	return b.page(b.Client.Get(u))
}

// Submit posts a form to action (resolved against the page URL).
func (b *Browser) Submit(p *Page, action string, form url.Values) (*Page, error) {
	target, err := p.Resp.Request.URL.Parse(action)
	if err != nil {
		return nil, err
	}
	b.Trace = append(b.Trace, "POST "+target.String())
	return b.page(b.Client.PostForm(target.String(), form))
}

func (b *Browser) page(resp *http.Response, err error) (*Page, error) {
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	p := &Page{Resp: resp, Body: string(body)}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc, err := resp.Location()
		if err != nil {
			return nil, err
		}
		p.Callback = loc
	}
	return p, nil
}

var inputRE = regexp.MustCompile(`<input[^>]*>`)
var attrRE = regexp.MustCompile(`(\w+)="([^"]*)"`)

// HiddenFields returns the hidden inputs of the page's forms.
func (p *Page) HiddenFields() url.Values {
	v := url.Values{}
	for _, tag := range inputRE.FindAllString(p.Body, -1) {
		attrs := map[string]string{}
		for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
			attrs[m[1]] = htmlUnescape(m[2])
		}
		if attrs["type"] == "hidden" {
			v.Set(attrs["name"], attrs["value"])
		}
	}
	return v
}

// Has reports whether the page contains s.
func (p *Page) Has(s string) bool { return strings.Contains(p.Body, s) }

// Path is the path of the page's final URL.
func (p *Page) Path() string { return p.Resp.Request.URL.Path }

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`)
	return r.Replace(s)
}

// SignInLocal completes Drawbridge's local sign-in and consent, starting at
// an authorization URL. approve says which consent button to press; it is
// ignored when consent was given before. It returns the page that ended at
// the client's redirect URI (Callback set) or the page where it stopped.
func (b *Browser) SignInLocal(authURL, username, password string, approve bool) (*Page, error) {
	p, err := b.Get(authURL)
	if err != nil || p.Callback != nil {
		return p, err
	}
	if p.Path() == "/login" {
		f := p.HiddenFields()
		f.Set("username", username)
		f.Set("password", password)
		if p, err = b.Submit(p, "/login", f); err != nil || p.Callback != nil {
			return p, err
		}
	}
	return b.Consent(p, approve)
}

// Consent answers a consent page.
func (b *Browser) Consent(p *Page, approve bool) (*Page, error) {
	if p.Path() != "/consent" {
		return p, fmt.Errorf("expected the consent page, got %s (status %d)", p.Path(), p.Resp.StatusCode)
	}
	f := p.HiddenFields()
	f.Set("action", map[bool]string{true: "approve", false: "deny"}[approve])
	return b.Submit(p, "/consent", f)
}
