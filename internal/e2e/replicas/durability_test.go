package replicas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestKillAndRestart: replicas killed with SIGKILL, in the middle of
// flows and all at once, lose nothing that was confirmed to a client:
// registered clients, consents, grants, refresh tokens, authorization
// codes, sign-ins in progress and signing keys are all in the database.
// SQLite: one replica (its file is not shared), killed under load and
// started again at once. PostgreSQL: three behind HAProxy, one of them
// killed under load while the others carry on.
func TestKillAndRestart(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testDurability(t, startCluster(t, clusterOptions{replicas: 1}))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := gwtest.PostgresDSN(t)
		if _, err := lookBinary("DRAWBRIDGE_TEST_HAPROXY", "haproxy"); err != nil {
			t.Skip("haproxy is not installed; run scripts/install-balancers (scripts/test-all does)")
		}
		testDurability(t, startCluster(t, clusterOptions{postgres: dsn, redis: os.Getenv("DRAWBRIDGE_TEST_REDIS"), balancer: "haproxy"}))
	})
}

func testDurability(t *testing.T, c *cluster) {
	// State confirmed to clients before anything is killed.
	a := c.oauthClient(t)
	tokA := a.Tokens("alice")
	keyID := kid(t, tokA["access_token"].(string))
	// A sign-in cut in the middle: the user has signed in and sees the
	// consent page when the servers die.
	b := c.oauthClient(t)
	vB := gwtest.NewVerifier()
	consent := untilConsent(t, b, vB, "bob")
	// An authorization code the client has not redeemed yet.
	cl := c.oauthClient(t)
	vC := gwtest.NewVerifier()
	codeC := cl.Code(vC, "bob")

	loadWhileKilling(t, c, c.replicas[len(c.replicas)-1])

	for _, r := range c.replicas {
		r.kill9(t)
	}
	// The sign-in page's next step fails while nothing runs...
	if p, err := b.Browser.Consent(consent, true); err == nil && p.Callback != nil {
		t.Fatal("the consent form was accepted with every replica dead")
	}
	for _, r := range c.replicas {
		r.start(t)
	}
	for _, r := range c.replicas {
		r.waitHTTP(t, r.URL()+"/readyz")
	}
	c.waitBalanced(t)

	// ... and the user's retry of it completes the flow.
	p, err := b.Browser.Consent(consent, true)
	if err != nil || p.Callback == nil || p.Callback.Query().Get("code") == "" {
		t.Fatalf("retrying the consent after the restart: %v %+v", err, p)
	}
	if status, body := b.Redeem(p.Callback.Query().Get("code"), vB); status != http.StatusOK {
		t.Fatalf("the code of the retried consent: %d %v", status, body)
	}
	// The code issued before the crash is still good, once.
	if status, body := cl.Redeem(codeC, vC); status != http.StatusOK {
		t.Fatalf("a code issued before the crash: %d %v", status, body)
	}
	// The access token and the key that signed it survived, on every
	// replica.
	for _, r := range c.replicas {
		if resp := gwtest.MCPCall(t, r.URL()+"/mcp", "Bearer "+tokA["access_token"].(string)); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: an access token from before the restart: %d", r.name, resp.StatusCode)
		}
		if !jwksHas(t, r.URL(), keyID) {
			t.Errorf("%s: the signing key %s was lost", r.name, keyID)
		}
	}
	// The grant and its refresh token survived.
	if status, body := a.Refresh(tokA["refresh_token"].(string)); status != http.StatusOK {
		t.Fatalf("a refresh token from before the restart: %d %v", status, body)
	}
	// The registered client and alice's consent survived: a new
	// authorization goes straight back to the client, with no consent page.
	v := gwtest.NewVerifier()
	p, err = a.Browser.SignInLocal(a.AuthorizeURL(v, nil), "alice", password, false)
	if err != nil || p.Callback == nil || p.Callback.Query().Get("code") == "" {
		t.Fatalf("the client or its consent was lost across the restart: %v (at %s)", err, pagePath(p))
	}
	// Killed writers left the audit chain intact.
	if out := c.cli(t, "audit", "verify"); !strings.Contains(out, "audit trail intact") {
		t.Errorf("audit verify after the kills: %s", out)
	}
}

// untilConsent runs an authorization as user up to the consent page.
func untilConsent(t *testing.T, cl *gwtest.Client, verifier, user string) *browser.Page {
	t.Helper()
	p, err := cl.Browser.Get(cl.AuthorizeURL(verifier, nil))
	if err != nil || p.Path() != "/login" {
		t.Fatalf("authorize: %v (at %s)", err, pagePath(p))
	}
	f := p.HiddenFields()
	f.Set("username", user)
	f.Set("password", password)
	if p, err = cl.Browser.Submit(p, "/login", f); err != nil || p.Path() != "/consent" {
		t.Fatalf("login: %v (at %s)", err, pagePath(p))
	}
	return p
}

func pagePath(p *browser.Page) string {
	if p == nil || p.Resp == nil {
		return "nowhere"
	}
	return fmt.Sprintf("%s, %d", p.Path(), p.Resp.StatusCode)
}

// waitBalanced waits until the balancer sends requests to every replica
// again (it takes them out when they die and back after health checks).
func (c *cluster) waitBalanced(t *testing.T) {
	t.Helper()
	if c.lb == nil {
		return
	}
	hc := c.httpClient()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	seen := map[string]bool{}
	for len(seen) < len(c.replicas) {
		mark := c.served.len()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.public+"/healthz", nil)
		resp, err := hc.Do(req)
		if ctx.Err() != nil {
			t.Fatalf("the balancer sends requests to only %v", seen)
		}
		if err == nil {
			resp.Body.Close()
			for _, h := range c.served.since(mark) {
				if h.status == http.StatusOK && h.replica != "" {
					seen[h.replica] = true
				}
			}
		}
	}
}

// loadWhileKilling keeps clients refreshing tokens and calling the MCP
// server through the balancer while victim is killed with SIGKILL, and
// until every client has gone on a while after. A client whose request
// fails at the transport or gets the balancer's 502, 503 or 504 retries
// it, as a real client would, with the same refresh token: a rotation
// the dead replica committed but never answered is covered by the reuse
// grace. Any other answer fails the test: no invalid_grant, no 500.
func loadWhileKilling(t *testing.T, c *cluster, victim *replica) {
	const workers = 4
	retried := retries.Load()
	type worker struct {
		cl    *gwtest.Client
		tok   map[string]any
		iters atomic.Int64
	}
	ws := make([]*worker, workers)
	for i := range ws {
		cl := c.oauthClient(t)
		ws[i] = &worker{cl: cl, tok: cl.Tokens("alice")}
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	stop := make(chan struct{})
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				tok, err := refreshRetrying(ctx, c.public, w.cl.ID, w.tok["refresh_token"].(string))
				if err == nil {
					w.tok = tok
					err = mcpRetrying(ctx, c.public+"/mcp", tok["access_token"].(string))
				}
				if err != nil {
					errs <- err
					return
				}
				w.iters.Add(1)
			}
		}()
	}
	// Kill the victim once every client is under way, stop once every
	// client has done as much again.
	waitIters := func(n int64) {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for _, w := range ws {
			for w.iters.Load() < n && ctx.Err() == nil && !failed(errs) {
				<-tick.C
			}
		}
	}
	waitIters(5)
	victim.kill9(t)
	if c.lb == nil {
		// No other replica to turn to: the clients retry until it is back.
		victim.start(t)
	}
	waitIters(15)
	close(stop)
	defer func() { t.Logf("%d requests retried while %s died", retries.Load()-retried, victim.name) }()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("the clients made no progress after the kill")
	}
	for i, w := range ws {
		if status, body := w.cl.Refresh(w.tok["refresh_token"].(string)); status != http.StatusOK {
			t.Errorf("client %d: its last refresh token after the kill: %d %v", i, status, body)
		}
	}
	if !victim.running() {
		victim.start(t)
	}
	victim.waitHTTP(t, victim.URL()+"/readyz")
}

// failed reports whether a worker has already sent an error (without
// taking it).
func failed(errs chan error) bool { return len(errs) > 0 }

// retries counts the requests retried, for the log.
var retries atomic.Int64

// retryable: what a client sees when a replica dies under it or the
// balancer has no healthy replica: a transport error, or 502, 503, 504.
func retryable(status int, err error) bool {
	if err != nil || status >= 500 {
		retries.Add(1)
	}
	return err != nil || status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

func refreshRetrying(ctx context.Context, base, clientID, rt string) (map[string]any, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}}
	for ctx.Err() == nil {
		status, body, err := post(ctx, base+"/token", "application/x-www-form-urlencoded", form.Encode(), "")
		if retryable(status, err) {
			pause(ctx)
			continue
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("refresh: %d %s", status, body)
		}
		var tok map[string]any
		if err := json.Unmarshal(body, &tok); err != nil || tok["refresh_token"] == nil {
			return nil, fmt.Errorf("refresh: %d %s", status, body)
		}
		return tok, nil
	}
	return nil, ctx.Err()
}

func mcpRetrying(ctx context.Context, endpoint, token string) error {
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"load","version":"1"}}}`
	for ctx.Err() == nil {
		status, out, err := post(ctx, endpoint, "application/json", body, token)
		if retryable(status, err) {
			pause(ctx)
			continue
		}
		if status != http.StatusOK {
			return fmt.Errorf("MCP initialize: %d %s", status, out)
		}
		return nil
	}
	return ctx.Err()
}

// pause is a client's short wait before a retry.
func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(20 * time.Millisecond):
	}
}

func post(ctx context.Context, u, contentType, body, token string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, nil, err
	}
	return resp.StatusCode, out, err
}
