package chromium

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Path returns the Chromium binary to use, and whether one was named
// explicitly by $DRAWBRIDGE_CHROMIUM.
func Path() (path string, explicit bool) {
	if p := os.Getenv("DRAWBRIDGE_CHROMIUM"); p != "" {
		return p, true
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, false
		}
	}
	return "", false
}

// Tab is one browser (its own profile) with one tab, for one test.
type Tab struct {
	t   testing.TB
	Ctx context.Context

	mu       sync.Mutex
	requests []string
}

// New starts Chromium for t, or skips t when there is none. Every action
// on the tab shares one deadline, so a page that never loads fails the
// test instead of hanging it.
func New(t testing.TB) *Tab {
	t.Helper()
	path, explicit := Path()
	if path == "" {
		t.Skip("Chromium not found: install it (Debian: apt-get install chromium, or scripts/install-chromium) or set DRAWBRIDGE_CHROMIUM to its binary")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		// Root in CI, and containers without user namespaces, have no
		// sandbox to give; these pages are our own.
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1100, 800),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(func() { bcancel(); acancel(); cancel() })
	tab := &Tab{t: t, Ctx: bctx}
	if err := chromedp.Do(bctx); err != nil {
		if !explicit {
			t.Skipf("Chromium at %s does not start (%v); set DRAWBRIDGE_CHROMIUM to a working one", path, err)
		}
		t.Fatalf("Chromium at %s (DRAWBRIDGE_CHROMIUM) does not start: %v", path, err)
	}
	reqs := chromedp.Events(bctx, network.RequestWillBeSent)
	go func() {
		for ev, err := range reqs {
			if err != nil {
				return
			}
			tab.mu.Lock()
			tab.requests = append(tab.requests, ev.Request.URL)
			tab.mu.Unlock()
		}
	}()
	return tab
}

// Requests lists every URL the pages have requested so far.
func (b *Tab) Requests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

// Do runs actions, failing the test on an error.
func (b *Tab) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.t.Fatalf("chromium: %v (at %s)", err, b.URL())
	}
}

// Open navigates to u and returns the HTTP status of the page.
func (b *Tab) Open(u string) int {
	b.t.Helper()
	resp, err := chromedp.Run(b.Ctx, chromedp.NavigateResponse(u))
	if err != nil {
		b.t.Fatalf("chromium: open %s: %v", u, err)
	}
	return int(resp.Status)
}

// Click clicks the element that sel selects (a CSS selector) and waits for
// the page it leads to; it returns that page's HTTP status.
func (b *Tab) Click(sel string) int {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.Ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("chromium: click %s: %v (at %s)", sel, err, b.URL())
	}
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// Type types text into the field sel selects, as a person would.
func (b *Tab) Type(sel, text string) {
	b.t.Helper()
	b.Do(chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

// Text is the visible text of the page. A document replaced while it is
// read (a navigation still finishing) is read again, the new one.
func (b *Tab) Text() string {
	b.t.Helper()
	var err error
	for range 5 {
		var s string
		if s, err = chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS("body"))); err == nil {
			return s
		}
		if msg := err.Error(); !strings.Contains(msg, "No node with given id") && !strings.Contains(msg, "context was destroyed") {
			break
		}
	}
	b.t.Fatalf("chromium: page text: %v", err)
	return ""
}

// URL is the tab's current address.
func (b *Tab) URL() string {
	u, _ := chromedp.Run(b.Ctx, chromedp.Location())
	return u
}

// Eval evaluates a JavaScript expression in the page (through DevTools:
// it works whatever the page's CSP says) and decodes the result.
func Eval[T any](b *Tab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("chromium: evaluate: %v", err)
	}
	return v
}

var (
	artifactsOnce sync.Once
	artifactsDir  string
)

// Artifacts is the directory screenshots go to.
func Artifacts(t testing.TB) string {
	t.Helper()
	artifactsOnce.Do(func() {
		artifactsDir = os.Getenv("DRAWBRIDGE_ARTIFACTS")
		if artifactsDir == "" {
			artifactsDir, _ = os.MkdirTemp("", "drawbridge-artifacts-")
		}
		_ = os.MkdirAll(artifactsDir, 0o755)
	})
	return artifactsDir
}

// Shot saves a screenshot of the whole page as <name>.png in Artifacts,
// and in $DRAWBRIDGE_DOC_IMAGES too when doc is true.
func (b *Tab) Shot(name string, doc bool) {
	b.t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("chromium: screenshot %s: %v", name, err)
	}
	dirs := []string{Artifacts(b.t)}
	if d := os.Getenv("DRAWBRIDGE_DOC_IMAGES"); d != "" && doc {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		p := filepath.Join(d, strings.ReplaceAll(name, "/", "-")+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			b.t.Fatalf("chromium: saving %s: %v", p, err)
		}
	}
	b.t.Logf("screenshot %s.png in %s", name, dirs[0])
}
