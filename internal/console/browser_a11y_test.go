package console_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/chromium"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// pageProblems is run in the page (through DevTools; the pages themselves
// run no script). It returns what a person on a phone, with a keyboard or
// a screen reader would trip over:
//   - the page is wider than the screen (sideways scrolling on a phone);
//   - a form field without a label, a button without a name, no lang, not
//     exactly one h1;
//   - text whose contrast with its background is below WCAG AA (4.5:1, or
//     3:1 for large text).
const pageProblems = `(() => {
  const out = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1)
    out.push("wider than the screen: " + document.documentElement.scrollWidth + " > " + window.innerWidth);
  if (!document.documentElement.lang) out.push("no lang on <html>");
  if (document.querySelectorAll("h1").length !== 1) out.push("not exactly one h1");
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    if (el.labels.length === 0 && !el.getAttribute("aria-label")) out.push("field without a label: " + (el.name || el.id));
  }
  for (const el of document.querySelectorAll("button, a")) {
    if (!(el.textContent.trim() || el.getAttribute("aria-label"))) out.push("control without a name: " + el.outerHTML);
  }
  const rgb = s => { const m = s.match(/[\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const background = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.a > 0) return c; }
    return {r: 255, g: 255, b: 255, a: 1}; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el.getClientRects().length) continue;
    const st = getComputedStyle(el);
    if (st.visibility === "hidden" || el.closest(".skip")) continue;
    const fg = rgb(st.color), bg = background(el);
    const l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(st.fontSize), large = size >= 24 || (size >= 18.66 && Number(st.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push("contrast " + ratio.toFixed(2) + " for " + JSON.stringify(n.textContent.trim().slice(0, 40)));
  }
  return out;
})()`

func checkPage(t *testing.T, b *chromium.Tab, what string) {
	t.Helper()
	for _, p := range chromium.Eval[[]string](b, pageProblems) {
		t.Errorf("%s (%s): %s", what, b.URL(), p)
	}
}

// key presses one key (Tab, Enter) or types text into what has focus, as
// a keyboard does.
func key(t *testing.T, b *chromium.Tab, keys string) {
	t.Helper()
	b.Do(chromedp.KeyEvent(keys))
}

// focused describes the element that has the keyboard focus.
func focused(b *chromium.Tab) string {
	return chromium.Eval[string](b, `(() => { const e = document.activeElement; return e.tagName + " " + (e.id || e.value || e.textContent.trim()); })()`)
}

// tabTo presses Tab until the focus is on an element that matches want
// (as focused describes it), and fails after 20 presses.
func tabTo(t *testing.T, b *chromium.Tab, want string) {
	t.Helper()
	for range 20 {
		if strings.Contains(focused(b), want) {
			return
		}
		key(t, b, "\t")
	}
	t.Fatalf("Tab never reached %q on %s (focus on %q)", want, b.URL(), focused(b))
}

// waitFocus waits until the page has put the focus on the element with
// id (autofocus applies once the page has loaded, after its response).
func waitFocus(t *testing.T, b *chromium.Tab, id string) {
	t.Helper()
	_, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](`document.activeElement !== null && document.activeElement.id === `+strconv.Quote(id),
		chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("the focus never reached #%s on %s (it is on %q): %v", id, b.URL(), focused(b), err)
	}
}

// pressEnter presses Enter on the focused element and waits for the page
// it leads to.
func pressEnter(t *testing.T, b *chromium.Tab) int {
	t.Helper()
	resp, err := chromedp.RunResponse(b.Ctx, chromedp.KeyEvent("\r"))
	if err != nil || resp == nil {
		t.Fatalf("Enter on %q at %s: %v", focused(b), b.URL(), err)
	}
	return int(resp.Status)
}

// TestBrowserPhoneKeyboardNoScript: on a phone-sized screen, with
// JavaScript turned off, a person signs in and approves a client with the
// keyboard alone, then uses the console; every page is readable (no
// sideways scrolling), labelled, has enough contrast, and loads nothing
// from anywhere but Drawbridge.
func TestBrowserPhoneKeyboardNoScript(t *testing.T) {
	b := chromium.New(t)
	gw, c, cb := startGateway(t)
	b.Do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return chromedp.Void{}, err
		})

	// The flow pages, by keyboard: the username field has the focus.
	verifier := gwtest.NewVerifier()
	b.Open(c.AuthorizeURL(verifier, nil))
	checkPage(t, b, "sign-in page")
	waitFocus(t, b, "username")
	key(t, b, "bob")
	key(t, b, "\t")
	key(t, b, gwtest.Password)
	if status := pressEnter(t, b); status != 200 || !strings.Contains(b.URL(), "/consent") {
		t.Fatalf("sign-in by keyboard: %d at %s", status, b.URL())
	}
	checkPage(t, b, "consent page")
	b.Shot("consent-phone", true)
	tabTo(t, b, "BUTTON approve")
	pressEnter(t, b)
	q := cb.got()
	if q.Get("code") == "" {
		t.Fatalf("approving by keyboard sent no code (browser at %s)", b.URL())
	}
	status, body := c.Redeem(q.Get("code"), verifier)
	if status != 200 {
		t.Fatalf("token: %d %v", status, body)
	}

	// An error page, for a client that does not exist.
	if status := b.Open(gw.URL + "/authorize?client_id=nobody&response_type=code"); status != http.StatusBadRequest {
		t.Fatalf("an unknown client: %d", status)
	}
	checkPage(t, b, "error page")
	b.Shot("error", true)

	// The console, as an administrator, by keyboard too.
	b.Open(gw.URL + "/console")
	checkPage(t, b, "console start page")
	tabTo(t, b, "A Sign in")
	pressEnter(t, b)
	waitFocus(t, b, "username")
	key(t, b, gwtest.User)
	key(t, b, "\t")
	key(t, b, gwtest.Password)
	if status := pressEnter(t, b); status != 200 || !strings.HasSuffix(b.URL(), "/console") {
		t.Fatalf("console sign-in by keyboard: %d at %s", status, b.URL())
	}
	checkPage(t, b, "console: agents")
	for _, p := range []string{"/console/admin/clients", "/console/admin/grants?user=local:bob", "/console/admin/servers", "/console/admin/tools",
		"/console/admin/keys", "/console/admin/audit", "/console/admin/audit/verify", "/console/nope"} {
		b.Open(gw.URL + p)
		checkPage(t, b, "console: "+p)
	}
	b.Open(gw.URL + "/console/admin/grants?user=local:bob")
	b.Shot("console-grants-phone", true)

	for _, u := range b.Requests() {
		// data: URLs are Chromium's own (the date field's calendar icon).
		if !strings.HasPrefix(u, gw.URL+"/") && !strings.HasPrefix(u, cb.URL+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("a page loaded %s, which is not Drawbridge", u)
		}
	}
	if n := len(b.Requests()); n < 10 {
		t.Errorf("only %d requests were seen: the request log is not working", n)
	}
}

// TestBrowserDarkScheme: the pages are readable in the dark colour scheme
// too.
func TestBrowserDarkScheme(t *testing.T) {
	b := chromium.New(t)
	gw, c, _ := startGateway(t)
	b.Do(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return chromedp.Void{}, err
	})
	b.Open(c.AuthorizeURL(gwtest.NewVerifier(), nil))
	checkPage(t, b, "sign-in page, dark")
	consoleSignIn(t, b, gw, gwtest.User, false)
	checkPage(t, b, "console, dark")
	b.Open(gw.URL + "/console/admin/clients")
	checkPage(t, b, "clients, dark")
	b.Shot("console-clients-dark", false)
}
