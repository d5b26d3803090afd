package replicas

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestDatabaseRestartUnderLoad: PostgreSQL crashes and comes back while
// clients keep two replicas behind HAProxy busy. While it is down, what
// needs it fails cleanly: 503 with a JSON body (an OAuth error or a
// JSON-RPC error), or, at the authorization endpoint, a redirect to the
// client with error=temporarily_unavailable; never a 500, an HTML page, a
// hang or a panic. Once it is back everything works again with nothing
// lost: every refresh token still works, the audit chain verifies, and a
// new sign-in completes.
func TestDatabaseRestartUnderLoad(t *testing.T) {
	if _, err := lookBinary("DRAWBRIDGE_TEST_HAPROXY", "haproxy"); err != nil {
		t.Skip("haproxy is not installed; run scripts/install-balancers (scripts/test-all does)")
	}
	pg := startPGServer(t)
	c := startCluster(t, clusterOptions{replicas: 2, postgres: pg.DSN(), balancer: "haproxy"})

	const workers = 4
	ws := make([]*loadWorker, workers)
	for i := range ws {
		cl := c.oauthClient(t)
		tok := cl.Tokens("alice")
		ws[i] = &loadWorker{c: c, clientID: cl.ID, refresh: tok["refresh_token"].(string), access: tok["access_token"].(string)}
		ws[i].session = initialize(t, c.withToken(ws[i].access), c.public+"/mcp")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*guard)
	defer cancel()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() { defer wg.Done(); w.run(ctx, stop) }()
	}
	finish := func() {
		close(stop)
		wg.Wait()
		for i, w := range ws {
			for _, e := range w.bad {
				t.Errorf("worker %d: %s", i, e)
			}
		}
	}
	// Counted, never timed: each phase lasts until every worker has seen
	// what the phase is about.
	waitAll := func(what string, done func(*loadWorker) bool) {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for _, w := range ws {
			for !done(w) {
				if w.nbad.Load() > 0 {
					finish()
					t.Fatalf("a worker got a wrong answer while waiting until they %s", what)
				}
				select {
				case <-ctx.Done():
					finish()
					t.Fatalf("the workers never %s", what)
				case <-tick.C:
				}
			}
		}
	}
	waitAll("got going", func(w *loadWorker) bool { return w.ok.Load() >= 2 })
	pg.crash(t)
	waitAll("saw the database down", func(w *loadWorker) bool { return w.unavailable.Load() > 0 })
	pg.start(t)
	for _, r := range c.replicas {
		r.waitHTTP(t, r.URL()+"/readyz")
	}
	after := make([]int64, workers)
	for i, w := range ws {
		after[i] = w.ok.Load()
	}
	waitAll("recovered", func(w *loadWorker) bool { return w.ok.Load() >= after[indexOf(ws, w)]+3 })
	finish()
	var unavailable int64
	for _, w := range ws {
		unavailable += w.unavailable.Load()
	}
	t.Logf("%d clean refusals while the database was down", unavailable)

	// Nothing was lost or corrupted.
	var refreshed int64
	for i, w := range ws {
		status, body, err := post(context.Background(), c.public+"/token", "application/x-www-form-urlencoded",
			url.Values{"grant_type": {"refresh_token"}, "refresh_token": {w.refresh}, "client_id": {w.clientID}}.Encode(), "")
		if err != nil || status != http.StatusOK {
			t.Errorf("worker %d: its refresh token after the restart: %d %s %v", i, status, body, err)
		}
		refreshed += w.refreshed.Load() + 1
	}
	cl := c.oauthClient(t)
	if resp := gwtest.MCPCall(t, c.public+"/mcp", "Bearer "+cl.Tokens("bob")["access_token"].(string)); resp.StatusCode != http.StatusOK {
		t.Errorf("a new sign-in after the restart: MCP call %d", resp.StatusCode)
	}
	// A clean stop writes what is queued; then the chain is checked, and
	// every refresh a client saw succeed is in it, the ones answered while
	// the audit store was failing included.
	for _, r := range c.replicas {
		r.signal(t, syscall.SIGTERM)
	}
	if out := c.cli(t, "audit", "verify"); !strings.Contains(out, "audit trail intact") {
		t.Errorf("audit verify: %s", out)
	}
	events := strings.Count(c.cli(t, "audit", "list", "--type", "token.refreshed", "--limit", "1000000"), "\n")
	if int64(events) < refreshed {
		t.Errorf("the audit trail has %d token refreshes; clients saw %d", events, refreshed)
	}
	t.Logf("%d refreshes seen by clients, %d in the audit trail", refreshed, events)
}

func indexOf(ws []*loadWorker, w *loadWorker) int {
	for i := range ws {
		if ws[i] == w {
			return i
		}
	}
	return -1
}

// loadWorker is one client: it refreshes its token, opens MCP sessions,
// calls a tool in its long-lived session, registers clients and starts
// authorizations, over and over.
type loadWorker struct {
	c                          *cluster
	clientID, refresh, access  string
	session                    string
	ok, unavailable, refreshed atomic.Int64
	nbad                       atomic.Int64
	bad                        []string
}

func (w *loadWorker) run(ctx context.Context, stop chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		err := w.iteration(ctx)
		switch {
		case err == nil:
			w.ok.Add(1)
		case err == errUnavailable:
			w.unavailable.Add(1)
			pause(ctx)
		default:
			if ctx.Err() == nil && len(w.bad) < 20 {
				w.bad = append(w.bad, err.Error())
			}
			w.nbad.Add(1)
			pause(ctx)
		}
	}
}

var errUnavailable = fmt.Errorf("unavailable")

// iteration does each kind of request once; the first that fails ends it.
func (w *loadWorker) iteration(ctx context.Context) error {
	// Refresh: on a clean refusal the client keeps its token and retries.
	status, body, hdr, err := send(ctx, http.MethodPost, w.c.public+"/token", "application/x-www-form-urlencoded",
		url.Values{"grant_type": {"refresh_token"}, "refresh_token": {w.refresh}, "client_id": {w.clientID}}.Encode(), "")
	if err := judgeJSON("refresh", status, body, hdr, err); err != nil {
		return err
	}
	var tok map[string]any
	if err := json.Unmarshal(body, &tok); err != nil || tok["refresh_token"] == nil {
		return fmt.Errorf("refresh: %d %s", status, body)
	}
	w.refresh, w.access = tok["refresh_token"].(string), tok["access_token"].(string)
	w.refreshed.Add(1)

	// A new MCP session: the gateway records who opened it.
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"load","version":"1"}}}`
	status, body, hdr, err = send(ctx, http.MethodPost, w.c.public+"/mcp", "application/json", init, w.access)
	if err := judgeJSON("MCP initialize", status, body, hdr, err); err != nil {
		return err
	}
	// A tool call in the long-lived session: the replica may have to look
	// the session up.
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_snippet","arguments":{"snippetname":"none"}}}`
	status, body, hdr, err = sendSession(ctx, w.c.public+"/mcp", call, w.access, w.session)
	if err := judgeJSON("MCP tools/call", status, body, hdr, err); err != nil {
		return err
	}
	// A registration.
	reg := `{"redirect_uris":["http://127.0.0.1:43211/cb"],"client_name":"load","token_endpoint_auth_method":"none"}`
	status, body, hdr, err = send(ctx, http.MethodPost, w.c.public+"/register", "application/json", reg, "")
	if err := judgeJSON("register", status, body, hdr, err); err != nil {
		return err
	}
	// The start of an authorization (a browser's first request).
	q := url.Values{"response_type": {"code"}, "client_id": {w.clientID}, "redirect_uri": {gwtest.Redirect},
		"code_challenge": {oauth.S256Challenge(gwtest.NewVerifier())}, "code_challenge_method": {"S256"},
		"state": {"s"}, "resource": {w.c.public + "/mcp"}, "scope": {"snippets"}}
	status, body, hdr, err = send(ctx, http.MethodGet, w.c.public+"/authorize?"+q.Encode(), "", "", "")
	return judgeAuthorize(status, body, hdr, err)
}

// judgeJSON accepts success, and a 503 with a JSON body as the clean
// refusal; anything else is an error the test reports.
func judgeJSON(what string, status int, body []byte, hdr http.Header, err error) error {
	switch {
	case err != nil:
		return fmt.Errorf("%s: %v", what, err)
	case status < 300:
		return nil
	case status == http.StatusServiceUnavailable && isJSON(hdr) && json.Valid(body):
		return errUnavailable
	}
	return fmt.Errorf("%s: %d %s %.200s", what, status, hdr.Get("Content-Type"), body)
}

// judgeAuthorize: the authorization endpoint either sends the browser to
// sign in, or back to the client with error=temporarily_unavailable
// (RFC 6749 §4.1.2.1) when it could check the client but not store the
// request, or, when it could not even look the client up (so may not
// redirect to an unverified URI), shows the person a 503 page saying to
// try again.
func judgeAuthorize(status int, body []byte, hdr http.Header, err error) error {
	if err != nil {
		return fmt.Errorf("authorize: %v", err)
	}
	loc, _ := url.Parse(hdr.Get("Location"))
	switch {
	case status/100 == 3 && loc != nil && strings.HasPrefix(loc.Path, "/login"):
		return nil
	case status/100 == 3 && loc != nil && strings.HasPrefix(loc.String(), gwtest.Redirect) && loc.Query().Get("error") == oauth.ErrTemporarilyUnavailable:
		return errUnavailable
	case status == http.StatusServiceUnavailable && strings.HasPrefix(hdr.Get("Content-Type"), "text/html") &&
		hdr.Get("Retry-After") != "" && strings.Contains(string(body), "try again"):
		return errUnavailable
	}
	return fmt.Errorf("authorize: %d Location %q %.200s", status, hdr.Get("Location"), body)
}

func isJSON(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/json"
}

var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func send(ctx context.Context, method, u, contentType, body, token string) (int, []byte, http.Header, error) {
	return sendSession(ctx, u, body, token, "", method, contentType)
}

func sendSession(ctx context.Context, u, body, token, session string, methodAndType ...string) (int, []byte, http.Header, error) {
	method, contentType := http.MethodPost, "application/json"
	if len(methodAndType) == 2 {
		method, contentType = methodAndType[0], methodAndType[1]
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json, text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header, err
}
