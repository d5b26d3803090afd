package attack

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// lockoutYAML: no per-address request limits (the lockout is under test),
// locks of an hour, and remembered devices for ten minutes.
const lockoutYAML = `trusted_proxies: [127.0.0.1]
rate_limits:
  auth: {login_per_minute: -1, authorize_per_minute: -1}
  lockout: {after: 5, address_after: 20, base: 1h, max: 24h, device_ttl: 10m}
`

// person is one browser at one client address.
type person struct {
	t    *testing.T
	c    *gwtest.Client
	b    *browser.Browser
	from *gwtest.FromAddress
}

func newPerson(t *testing.T, c *gwtest.Client, addr string) *person {
	b := browser.New(c.GW.URL)
	from := gwtest.NewFromAddress(addr)
	b.Client.Transport = from
	return &person{t: t, c: c, b: b, from: from}
}

// signIn starts an authorization request and submits the sign-in form.
func (p *person) signIn(user, password string) *browser.Page {
	p.t.Helper()
	pg, err := p.b.Get(p.c.AuthorizeURL(gwtest.NewVerifier(), nil))
	if err != nil || pg.Path() != "/login" {
		p.fatal(pg, err, "sign-in form")
	}
	f := pg.HiddenFields()
	f.Set("username", user)
	f.Set("password", password)
	pg, err = p.b.Submit(pg, "/login", f)
	if err != nil {
		p.t.Fatal(err)
	}
	return pg
}

func (p *person) fatal(pg *browser.Page, err error, what string) {
	p.t.Helper()
	if pg == nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	p.t.Fatalf("%s: %v, at %s (%d)", what, err, pg.Path(), pg.Resp.StatusCode)
}

// wantSignedIn: the right password led to the consent page.
func wantSignedIn(t *testing.T, pg *browser.Page, who string) {
	t.Helper()
	if pg.Path() != "/consent" || pg.Resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: at %s (%d), want the consent page", who, pg.Path(), pg.Resp.StatusCode)
	}
}

// wantLocked: the sign-in was refused by the lockout.
func wantLocked(t *testing.T, pg *browser.Page, who string) {
	t.Helper()
	if pg.Resp.StatusCode != http.StatusTooManyRequests || !pg.Has("Too many failed attempts") || pg.Resp.Header.Get("Retry-After") == "" {
		t.Fatalf("%s: %s (%d), want the lockout (429)", who, pg.Path(), pg.Resp.StatusCode)
	}
}

// TestLockoutStrangerCannotLockOutUser: failures for alice from one
// address lock alice out at that address only (OWASP Authentication Cheat
// Sheet, "Account Lockout": a lockout anyone can trigger is a denial of
// service). Alice signs in from elsewhere.
func TestLockoutStrangerCannotLockOutUser(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: lockoutYAML})
	c := gwtest.RegisterClient(t, gw, nil)
	stranger := newPerson(t, c, "198.51.100.66")
	for i := range 100 {
		pg := stranger.signIn(gwtest.User, fmt.Sprintf("guess %d", i))
		if i < 5 && pg.Resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i, pg.Resp.StatusCode)
		}
		if i >= 5 {
			wantLocked(t, pg, fmt.Sprintf("attempt %d", i))
		}
	}
	wantSignedIn(t, newPerson(t, c, "203.0.113.10").signIn(gwtest.User, gwtest.Password), "alice from another address")
	// The guessing address is locked for alice, even with the right password.
	wantLocked(t, stranger.signIn(gwtest.User, gwtest.Password), "alice's password from the guessing address")
	// Another IPv6 address of the same /64 is the same address.
	v6 := newPerson(t, c, "2001:db8:7:7::1")
	for range 5 {
		v6.signIn(gwtest.User, "wrong")
	}
	wantLocked(t, newPerson(t, c, "2001:db8:7:7:aaaa::2").signIn(gwtest.User, gwtest.Password), "the same /64")
	wantSignedIn(t, newPerson(t, c, "2001:db8:7:8::1").signIn(gwtest.User, gwtest.Password), "another /64")
	// The lock ends.
	gw.Clock.Advance(time.Hour)
	wantSignedIn(t, stranger.signIn(gwtest.User, gwtest.Password), "after the lock")
}

// TestLockoutHoldsAgainstConcurrentGuesses: forty wrong passwords for
// alice submitted at once from one address, each from its own browser (and
// then sixty usernames sprayed at once), get
// no more passwords checked than the lockout allows (five): the rest are
// refused before the password is looked at, not after the first failures
// are counted. Ground truth: every answer is either "wrong password" (401)
// or the lockout (429), and at most five are 401.
func TestLockoutHoldsAgainstConcurrentGuesses(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: lockoutYAML})
	c := gwtest.RegisterClient(t, gw, nil)
	const n = 40
	codes := signInAtOnce(t, c, "198.51.100.55", n, func(int) (string, string) { return gwtest.User, "guess" })
	checked := 0
	for _, code := range codes {
		switch code {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("a concurrent guess answered %d", code)
		}
	}
	if checked > 5 {
		t.Errorf("%d of %d concurrent guesses had their password checked; the lockout allows 5", checked, n)
	}
	// The address is now locked for alice, her right password too.
	wantLocked(t, newPerson(t, c, "198.51.100.55").signIn(gwtest.User, gwtest.Password), "alice's password after the burst")

	// Sprayed at once over sixty usernames (each under its own limit of
	// five) from one address: no more checked than the address allows.
	checked = 0
	for _, code := range signInAtOnce(t, c, "198.51.100.56", 60, func(i int) (string, string) { return fmt.Sprintf("user%d", i), "Winter2026!" }) {
		switch code {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("a sprayed guess answered %d", code)
		}
	}
	if checked > 20 {
		t.Errorf("%d of 60 sprayed guesses had their password checked; the address allows 20", checked)
	}
}

// TestLockoutLetsConcurrentSignInsThrough: the count of sign-ins in flight
// holds guesses back, not people: thirty browsers behind one address (an
// office) signing in at once, as one user or as two, all reach consent.
func TestLockoutLetsConcurrentSignInsThrough(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: lockoutYAML})
	c := gwtest.RegisterClient(t, gw, nil)
	for name, who := range map[string]func(int) (string, string){
		"one user":      func(int) (string, string) { return gwtest.User, gwtest.Password },
		"alice and bob": func(i int) (string, string) { return []string{gwtest.User, "bob"}[i%2], gwtest.Password },
	} {
		for i, code := range signInAtOnce(t, c, "198.51.100.60", 30, who) {
			if code != http.StatusSeeOther && code != http.StatusOK {
				t.Errorf("%s: sign-in %d answered %d", name, i, code)
			}
		}
	}
}

// signInAtOnce opens n sign-in forms from addr, each in its own browser,
// submits them all at the same moment with the usernames and passwords who
// gives, and returns each answer's status (0: no answer).
func signInAtOnce(t *testing.T, c *gwtest.Client, addr string, n int, who func(i int) (user, password string)) []int {
	t.Helper()
	type form struct {
		p  *person
		pg *browser.Page
		f  url.Values
	}
	forms := make([]form, n)
	for i := range forms {
		p := newPerson(t, c, addr)
		pg, err := p.b.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
		if err != nil || pg.Path() != "/login" {
			p.fatal(pg, err, "sign-in form")
		}
		f := pg.HiddenFields()
		user, password := who(i)
		f.Set("username", user)
		f.Set("password", password)
		forms[i] = form{p, pg, f}
	}
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, fm := range forms {
		wg.Go(func() {
			<-start
			if pg, err := fm.p.b.Submit(fm.pg, "/login", fm.f); err == nil {
				codes[i] = pg.Resp.StatusCode
			}
		})
	}
	close(start)
	wg.Wait()
	return codes
}

// TestLockoutPerAddressAcrossUsernames: an address that fails for many
// usernames (password spraying) is locked for every username, including
// ones it has not tried; other addresses are not.
func TestLockoutPerAddressAcrossUsernames(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: lockoutYAML})
	c := gwtest.RegisterClient(t, gw, nil)
	sprayer := newPerson(t, c, "198.51.100.77")
	for i := range 20 {
		if pg := sprayer.signIn(fmt.Sprintf("user%d", i), "Winter2026!"); pg.Resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i, pg.Resp.StatusCode)
		}
	}
	wantLocked(t, sprayer.signIn("bob", gwtest.Password), "bob from the spraying address")
	wantSignedIn(t, newPerson(t, c, "198.51.100.78").signIn("bob", gwtest.Password), "bob from the next address")
}

// TestLockoutRememberedDevice: a browser that signed in as alice keeps
// signing in as alice from a locked address, under its own bound; the
// cookie does nothing for another user, forged, or expired.
func TestLockoutRememberedDevice(t *testing.T) {
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: lockoutYAML})
	c := gwtest.RegisterClient(t, gw, nil)
	const shared = "198.51.100.99" // a network alice shares with a stranger
	alice := newPerson(t, c, "203.0.113.20")
	wantSignedIn(t, alice.signIn(gwtest.User, gwtest.Password), "alice at home")
	device := cookieValue(t, alice.b, gw.URL, "drawbridge-device")

	stranger := newPerson(t, c, shared)
	for i := range 25 {
		stranger.signIn(fmt.Sprintf("user%d", i%20), "guess") // locks the address
		stranger.signIn(gwtest.User, "guess")                 // and alice at it
	}
	wantLocked(t, newPerson(t, c, shared).signIn(gwtest.User, gwtest.Password), "alice without her cookie")

	alice.from.Set(shared)
	wantSignedIn(t, alice.signIn(gwtest.User, gwtest.Password), "alice's browser at the locked address")

	// Not for another user: bob in alice's browser is locked like anyone.
	wantLocked(t, alice.signIn("bob", gwtest.Password), "bob with alice's cookie")

	// Not forged: a changed value is no device.
	forger := newPerson(t, c, shared)
	setCookie(t, forger.b, gw.URL, "drawbridge-device", flip(device))
	wantLocked(t, forger.signIn(gwtest.User, gwtest.Password), "a forged cookie")
	// A stolen (copied) cookie works, but only under the device's own
	// bound: five wrong passwords lock the device.
	thief := newPerson(t, c, shared)
	setCookie(t, thief.b, gw.URL, "drawbridge-device", device)
	for range 5 {
		if pg := thief.signIn(gwtest.User, "guess"); pg.Resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a guess with the cookie: %d", pg.Resp.StatusCode)
		}
	}
	wantLocked(t, thief.signIn(gwtest.User, gwtest.Password), "the device after five failures")

	// Not expired: alice's latest cookie, replayed after device_ttl (the
	// browser would have dropped it), is no device either.
	latest := cookieValue(t, alice.b, gw.URL, "drawbridge-device")
	gw.Clock.Advance(11 * time.Minute)
	late := newPerson(t, c, shared)
	setCookie(t, late.b, gw.URL, "drawbridge-device", latest)
	wantLocked(t, late.signIn(gwtest.User, gwtest.Password), "an expired cookie")
}

func cookieValue(t *testing.T, b *browser.Browser, base, name string) string {
	t.Helper()
	u, _ := url.Parse(base)
	for _, ck := range b.Client.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	t.Fatalf("no %s cookie", name)
	return ""
}

func setCookie(t *testing.T, b *browser.Browser, base, name, value string) {
	t.Helper()
	u, _ := url.Parse(base)
	b.Client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// flip changes one character in the middle of a cookie value.
func flip(v string) string {
	b := []byte(v)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}
