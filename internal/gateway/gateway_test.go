package gateway

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// fakeVerifier accepts the token "good" (and "narrow", which lacks the
// server's scope). The real verifier has its own tests; this isolates the
// proxy.
type fakeVerifier struct{}

func (fakeVerifier) Verify(_ context.Context, raw, aud string) (*tokens.AccessClaims, error) {
	switch raw {
	case "good":
		return &tokens.AccessClaims{Subject: "alice", ClientID: "c1", Scope: "mcp extra", Audience: aud, Email: "a@example.com", Groups: []string{"g1", "g2"}}, nil
	case "bob":
		return &tokens.AccessClaims{Subject: "bob", ClientID: "c1", Scope: "mcp", Audience: aud}, nil
	case longToken:
		return &tokens.AccessClaims{Subject: "alice", ClientID: "c1", Scope: "mcp", Audience: aud, GrantID: "grant-1"}, nil
	case "narrow":
		return &tokens.AccessClaims{Subject: "alice", ClientID: "c1", Scope: "extra", Audience: aud}, nil
	case "elsewhere": // genuine, for another resource, as tokens.Verifier answers
		return &tokens.AccessClaims{Subject: "alice", ClientID: "c1", GrantID: "g-else", Scope: "mcp", Audience: "https://gw.example/other"}, tokens.ErrWrongAud
	case "forged": // claims with an error that does not vouch for them
		return &tokens.AccessClaims{Subject: "mallory", ClientID: "victim", GrantID: "g-victim", Scope: "mcp", Audience: aud}, tokens.ErrBadSignature
	}
	return nil, tokens.ErrBadSignature
}

func newTestGateway(t *testing.T, backend http.Handler, mod func(*Backend)) *httptest.Server {
	t.Helper()
	return newTestGatewayLog(t, backend, mod, nil)
}

// newTestGatewayLog is newTestGateway logging to log (nil: discarded).
func newTestGatewayLog(t *testing.T, backend http.Handler, mod func(*Backend), log *slog.Logger) *httptest.Server {
	t.Helper()
	return newTestGatewayOpts(t, backend, mod, func(o *Options) { o.Log = log })
}

// newTestGatewayOpts is newTestGateway with the gateway's options changed
// by omod.
func newTestGatewayOpts(t *testing.T, backend http.Handler, mod func(*Backend), omod func(*Options)) *httptest.Server {
	t.Helper()
	be := httptest.NewUnstartedServer(backend)
	t.Cleanup(be.Close)
	up, _ := url.Parse("http://" + be.Listener.Addr().String() + "/backend/mcp")
	// The gateway's own URL is known before it is built, for servers whose
	// resource URL must be real (legacy SSE hands it to clients).
	var handler http.Handler
	gw := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	self := "http://" + gw.Listener.Addr().String()
	s := Backend{Name: "t", Path: "/mcp", Resource: "https://gw.example/mcp", MetadataURL: "https://gw.example/.well-known/oauth-protected-resource/mcp",
		Upstream: up, Scopes: []string{"mcp"}, Headers: map[string]string{"X-Backend-Key": "backend-secret"}, ForwardIdentity: true, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&s)
	}
	if s.HTTP2 {
		// A backend that speaks h2c (and HTTP/1.1, so that a gateway that
		// fell back to it would be served, and caught by the test).
		be.Config.Protocols = new(http.Protocols)
		be.Config.Protocols.SetHTTP1(true)
		be.Config.Protocols.SetUnencryptedHTTP2(true)
	}
	be.Start()
	s.Resource = strings.Replace(s.Resource, "http://self", self, 1)
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	opt := Options{Issuer: "https://gw.example", Backends: []Backend{s}, Verifier: fakeVerifier{}, Store: st}
	if omod != nil {
		omod(&opt)
	}
	g, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	g.Routes(mux)
	handler = mux
	gw.Start()
	t.Cleanup(gw.Close)
	return gw
}

func do(t *testing.T, method, u, token string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	// A client of its own: no connection pooled by an earlier test (whose
	// gateway may have had this port) is ever reused.
	tr := &http.Transport{}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close(); tr.CloseIdleConnections() })
	return resp
}

func TestProxyHeaders(t *testing.T) {
	var got http.Header
	var gotPath string
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotPath = r.Header.Clone(), r.URL.Path
		w.Header().Set("Mcp-Session-Id", "sess-1")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}), nil)
	// The first request opens the session (and binds it to alice).
	if resp := do(t, http.MethodPost, gw.URL+"/mcp", "good", nil); resp.StatusCode != 200 {
		t.Fatalf("initialize: %d", resp.StatusCode)
	}
	resp := do(t, http.MethodPost, gw.URL+"/mcp", "good", map[string]string{
		"Cookie": "session=abc", "Mcp-Session-Id": "sess-1", "MCP-Protocol-Version": "2025-11-25",
		"Last-Event-ID": "7", "X-Drawbridge-Subject": "mallory", "X-Backend-Key": "client-chosen",
		"Proxy-Authorization": "Basic eA==",
	})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") != "sess-1" {
		t.Fatalf("status %d, session %q", resp.StatusCode, resp.Header.Get("Mcp-Session-Id"))
	}
	if gotPath != "/backend/mcp" {
		t.Errorf("backend path = %q", gotPath)
	}
	for _, h := range []string{"Authorization", "Cookie", "Proxy-Authorization"} {
		if v := got.Get(h); v != "" {
			t.Errorf("%s reached the backend: %q", h, v)
		}
	}
	want := map[string]string{
		"Mcp-Session-Id": "sess-1", "Mcp-Protocol-Version": "2025-11-25", "Last-Event-Id": "7",
		"X-Backend-Key": "backend-secret", "X-Drawbridge-Subject": "alice", "X-Drawbridge-Email": "a@example.com",
		"X-Drawbridge-Groups": "g1,g2", "X-Drawbridge-Client-Id": "c1", "X-Drawbridge-Scope": "mcp extra",
	}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("backend got %s = %q, want %q", k, got.Get(k), v)
		}
	}
	if got.Get("X-Forwarded-For") == "" {
		t.Error("no X-Forwarded-For")
	}
}

func TestIdentityHeadersOffStillStripsForgeries(t *testing.T) {
	var got http.Header
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }),
		func(s *Backend) { s.ForwardIdentity = false })
	do(t, http.MethodPost, gw.URL+"/mcp", "good", map[string]string{"X-Drawbridge-Subject": "mallory", "x-drawbridge-email": "m@evil"})
	for k := range got {
		if strings.HasPrefix(strings.ToLower(k), "x-drawbridge-") {
			t.Errorf("%s reached the backend", k)
		}
	}
}

func TestAuthorizationDecisions(t *testing.T) {
	calls := 0
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }), nil)
	tests := []struct {
		token  string
		status int
		want   string
	}{
		{"", 401, `Bearer scope="mcp", resource_metadata="https://gw.example/.well-known/oauth-protected-resource/mcp"`},
		{"bad", 401, `Bearer error="invalid_token", error_description="the access token signature is invalid", scope="mcp", resource_metadata="https://gw.example/.well-known/oauth-protected-resource/mcp"`},
		{"narrow", 403, `Bearer error="insufficient_scope", error_description="the access token lacks a scope this server requires", scope="mcp", resource_metadata="https://gw.example/.well-known/oauth-protected-resource/mcp"`},
	}
	for _, tt := range tests {
		resp := do(t, http.MethodPost, gw.URL+"/mcp", tt.token, nil)
		if resp.StatusCode != tt.status || resp.Header.Get("WWW-Authenticate") != tt.want {
			t.Errorf("token %q: %d %q", tt.token, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	if calls != 0 {
		t.Errorf("%d unauthorized requests reached the backend", calls)
	}
}

// TestStreamsEventByEvent proves the proxy does not buffer: the backend
// sends its second event only after the client has received the first
// through the gateway. A buffering proxy would deadlock here.
// TestStreamsEventByEvent: each event the backend flushes reaches the
// client before the backend writes the next (TR1), over either backend
// protocol.
func TestStreamsEventByEvent(t *testing.T) {
	for _, bp := range backendProtocols {
		t.Run(bp.name, func(t *testing.T) { streamsEventByEvent(t, bp.h2) })
	}
}

func streamsEventByEvent(t *testing.T, h2 bool) {
	var p protos
	firstSeen := make(chan struct{})
	gw := newTestGateway(t, p.record(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "id: 1\ndata: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-firstSeen:
		case <-r.Context().Done():
			return
		case <-time.After(10 * time.Second):
			return
		}
		_, _ = io.WriteString(w, "id: 2\ndata: second\n\n")
	})), func(s *Backend) { s.HTTP2 = h2 })
	resp := do(t, http.MethodGet, gw.URL+"/mcp", "good", map[string]string{"Accept": "text/event-stream"})
	if resp.Header.Get("X-Accel-Buffering") != "no" {
		t.Errorf("X-Accel-Buffering = %q", resp.Header.Get("X-Accel-Buffering"))
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	for l := range lines {
		if l == "data: first" {
			close(firstSeen)
		}
		if strings.HasPrefix(l, "data: ") {
			got = append(got, l)
		}
	}
	if strings.Join(got, "|") != "data: first|data: second" {
		t.Fatalf("events = %q (the first event was held back by the proxy)", got)
	}
	p.check(t, h2)
}

func TestBackendErrorsAreJSONRPC(t *testing.T) {
	t.Run("backend 4xx body unchanged", func(t *testing.T) {
		gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"Session not found"}}`)
		}), nil)
		resp := do(t, http.MethodPost, gw.URL+"/mcp", "good", nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 404 || string(b) != `{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"Session not found"}}` {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})
	t.Run("backend down", func(t *testing.T) {
		gw := newTestGateway(t, http.NotFoundHandler(), func(s *Backend) { s.Upstream, _ = url.Parse("http://127.0.0.1:1/mcp") })
		resp := do(t, http.MethodPost, gw.URL+"/mcp", "good", nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), `"jsonrpc":"2.0"`) || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})
	t.Run("backend too slow", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}), func(s *Backend) { s.Timeout = 50 * time.Millisecond })
		resp := do(t, http.MethodPost, gw.URL+"/mcp", "good", nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(b), `"error"`) {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})
}

func TestMetadata(t *testing.T) {
	gw := newTestGateway(t, http.NotFoundHandler(), nil)
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		resp := do(t, http.MethodGet, gw.URL+path, "", nil)
		b, _ := io.ReadAll(resp.Body)
		want := `{"resource":"https://gw.example/mcp","authorization_servers":["https://gw.example"],"scopes_supported":["mcp"],"bearer_methods_supported":["header"],"resource_name":"",` +
			`"dpop_signing_alg_values_supported":["ES256","ES384","RS256","PS256","EdDSA"]}`
		if resp.StatusCode != 200 || strings.TrimSpace(string(b)) != strings.Replace(want, `,"resource_name":""`, "", 1) || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
	req, _ := http.NewRequest(http.MethodOptions, gw.URL+"/.well-known/oauth-protected-resource/mcp", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Headers", "mcp-protocol-version")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "MCP-Protocol-Version") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestSessionsAreBoundToTheirSubject(t *testing.T) {
	var deleted int
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			deleted++
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Header.Get("Mcp-Session-Id") == "" {
			w.Header().Set("Mcp-Session-Id", "sess-"+r.Header.Get("X-Drawbridge-Subject"))
		}
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}), nil)
	if resp := do(t, http.MethodPost, gw.URL+"/mcp", "good", nil); resp.Header.Get("Mcp-Session-Id") != "sess-alice" {
		t.Fatalf("no session: %v", resp.Header)
	}
	sess := map[string]string{"Mcp-Session-Id": "sess-alice"}
	if resp := do(t, http.MethodPost, gw.URL+"/mcp", "good", sess); resp.StatusCode != 200 {
		t.Fatalf("owner using the session: %d", resp.StatusCode)
	}
	// Another user presenting alice's session id is told it does not exist.
	resp := do(t, http.MethodPost, gw.URL+"/mcp", "bob", sess)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 404 || !strings.Contains(string(b), `"code":-32001`) {
		t.Fatalf("bob with alice's session: %d %s", resp.StatusCode, b)
	}
	// An id that never went through the gateway is unknown too.
	if resp := do(t, http.MethodGet, gw.URL+"/mcp", "good", map[string]string{"Mcp-Session-Id": "made-up"}); resp.StatusCode != 404 {
		t.Fatalf("made-up session: %d", resp.StatusCode)
	}
	// DELETE ends it: afterwards it is unknown.
	if resp := do(t, http.MethodDelete, gw.URL+"/mcp", "good", sess); resp.StatusCode != 204 || deleted != 1 {
		t.Fatalf("delete: %d %d", resp.StatusCode, deleted)
	}
	if resp := do(t, http.MethodPost, gw.URL+"/mcp", "good", sess); resp.StatusCode != 404 {
		t.Fatalf("deleted session: %d", resp.StatusCode)
	}
}

func post(t *testing.T, u, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer good")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestModernHeadersMustMatchBody(t *testing.T) {
	calls := 0
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":7,"result":{}}`)
	}), nil)
	call := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_snippet","arguments":{"snippetname":"a"},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`
	read := `{"jsonrpc":"2.0","id":7,"method":"resources/read","params":{"uri":"file:///tmp/é.txt"}}`
	v := "2026-07-28"
	tests := []struct {
		name string
		body string
		hdr  map[string]string
		ok   bool
	}{
		{"matching", call, map[string]string{"MCP-Protocol-Version": v, "Mcp-Method": "tools/call", "Mcp-Name": "get_snippet"}, true},
		{"method mismatch", call, map[string]string{"MCP-Protocol-Version": v, "Mcp-Method": "tools/list", "Mcp-Name": "get_snippet"}, false},
		{"name mismatch", call, map[string]string{"MCP-Protocol-Version": v, "Mcp-Method": "tools/call", "Mcp-Name": "save_snippet"}, false},
		{"name missing", call, map[string]string{"MCP-Protocol-Version": v, "Mcp-Method": "tools/call"}, false},
		{"method missing in 2026-07-28", call, map[string]string{"MCP-Protocol-Version": v}, false},
		{"version mismatch", call, map[string]string{"MCP-Protocol-Version": "2025-11-25", "Mcp-Method": "tools/call", "Mcp-Name": "get_snippet"}, false},
		{"base64 name", read, map[string]string{"Mcp-Method": "resources/read", "Mcp-Name": "=?base64?ZmlsZTovLy90bXAvw6kudHh0?="}, true},
		{"bad base64", read, map[string]string{"Mcp-Method": "resources/read", "Mcp-Name": "=?base64?!!!?="}, false},
		{"legacy request without headers", `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, map[string]string{"MCP-Protocol-Version": "2025-06-18"}, true},
		{"batch passes", `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, nil, true},
		{"unknown Mcp-Param forwarded", call, map[string]string{"MCP-Protocol-Version": v, "Mcp-Method": "tools/call", "Mcp-Name": "get_snippet", "Mcp-Param-Region": "eu"}, true},
	}
	for _, tt := range tests {
		before := calls
		resp, body := post(t, gw.URL+"/mcp", tt.body, tt.hdr)
		if tt.ok != (resp.StatusCode == 200) || tt.ok != (calls == before+1) {
			t.Errorf("%s: %d %s (backend calls %d)", tt.name, resp.StatusCode, body, calls-before)
			continue
		}
		if !tt.ok && (resp.StatusCode != 400 || !strings.Contains(body, `"code":-32020`) || !strings.Contains(body, `"id":7`)) {
			t.Errorf("%s: want 400 HeaderMismatch with the request id, got %d %s", tt.name, resp.StatusCode, body)
		}
	}
}

func TestRequestBodyLimit(t *testing.T) {
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}), func(s *Backend) { s.MaxBodyBytes = 1024 })
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"a":"` + strings.Repeat("x", 2000) + `"}}}`
	resp, body := post(t, gw.URL+"/mcp", big, nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"jsonrpc":"2.0"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if resp, _ := post(t, gw.URL+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, nil); resp.StatusCode != 200 {
		t.Fatalf("small body: %d", resp.StatusCode)
	}
}

func TestOriginValidation(t *testing.T) {
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		func(s *Backend) { s.AllowedOrigins = []string{"http://localhost:6274"} })
	for origin, want := range map[string]int{
		"":                      200,
		"https://gw.example":    200,
		"http://localhost:6274": 200,
		"https://evil.example":  403,
		"null":                  403,
	} {
		resp, body := post(t, gw.URL+"/mcp", `{"jsonrpc":"2.0","id":1,"method":"ping"}`, map[string]string{"Origin": origin})
		if resp.StatusCode != want {
			t.Errorf("Origin %q: %d %s", origin, resp.StatusCode, body)
		}
		if want == 200 && origin != "" && resp.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("Origin %q: Access-Control-Allow-Origin = %q", origin, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		// A browser's page may read the session id of a proxied answer;
		// a client that is not a browser gets no CORS headers at all.
		exposed := resp.Header.Get("Access-Control-Expose-Headers")
		switch {
		case want == 200 && origin != "" && !strings.Contains(exposed, "Mcp-Session-Id"):
			t.Errorf("Origin %q: Access-Control-Expose-Headers = %q", origin, exposed)
		case origin == "" && (exposed != "" || resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Vary") != ""):
			t.Errorf("no Origin, CORS headers: %v", resp.Header)
		}
	}
}

// TestBodyOnlyWithPost: a body sent with a GET (MCP never sends one) is
// not forwarded to the backend.
func TestBodyOnlyWithPost(t *testing.T) {
	got := make(chan string, 2)
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Method + " " + string(b)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
	}), nil)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		resp := do(t, method, gw.URL+"/mcp", "good", map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", method, resp.StatusCode)
		}
	}
	if a, b := <-got, <-got; a != "GET " || b != `POST {"jsonrpc":"2.0","id":1,"method":"ping"}` {
		t.Errorf("the backend received %q and %q", a, b)
	}
}

// TestKeepAliveNeverSplitsAnEvent: while the backend is in the middle of an
// event, however long it pauses, no comment is inserted into it.
func TestKeepAliveNeverSplitsAnEvent(t *testing.T) {
	gw := newTestGateway(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first half")
		w.(http.Flusher).Flush()
		select {
		case <-time.After(200 * time.Millisecond): // ten keep-alive intervals
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, ", second half\n\n")
	}), func(s *Backend) { s.KeepAlive = 20 * time.Millisecond })
	resp := do(t, http.MethodGet, gw.URL+"/mcp", "good", nil)
	sc := bufio.NewScanner(resp.Body)
	if !sc.Scan() {
		t.Fatalf("no event: %v", sc.Err())
	}
	if got := sc.Text(); got != "data: first half, second half" {
		t.Fatalf("the event arrived as %q", got)
	}
}

// TestIdleStreamGetsKeepAlive: a stream with nothing to say gets SSE
// comments, each one between events, and the events around them arrive
// whole, over either backend protocol.
func TestIdleStreamGetsKeepAlive(t *testing.T) {
	for _, bp := range backendProtocols {
		t.Run(bp.name, func(t *testing.T) { idleStreamGetsKeepAlive(t, bp.h2) })
	}
}

func idleStreamGetsKeepAlive(t *testing.T, h2 bool) {
	var p protos
	release := make(chan struct{})
	gw := newTestGateway(t, p.record(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, "data: two\n\n")
	})), func(s *Backend) { s.KeepAlive, s.HTTP2 = 20*time.Millisecond, h2 })
	resp := do(t, http.MethodGet, gw.URL+"/mcp", "good", nil)
	sc := bufio.NewScanner(resp.Body)
	var lines []string
	var once sync.Once
	sawOne := false
	for sc.Scan() {
		lines = append(lines, sc.Text())
		switch sc.Text() {
		case "data: one":
			sawOne = true
		case ": keep-alive":
			// Release the second event once the idle stream after the
			// first has been kept alive. (On a loaded machine a comment
			// may come even before the first event: still between events.)
			if sawOne {
				once.Do(func() { close(release) })
			}
		}
		if sc.Text() == "data: two" {
			break
		}
	}
	got := strings.Join(lines, "|")
	// Every comment stands alone, after a blank line or at the start.
	for i, l := range lines {
		if l == ": keep-alive" && i > 0 && lines[i-1] != "" {
			t.Errorf("keep-alive inside an event: %q", got)
		}
	}
	if !strings.Contains(got, "data: one||") || !strings.Contains(got, "|: keep-alive|") ||
		!strings.HasSuffix(got, "data: two") || strings.Index(got, "data: one") > strings.LastIndex(got, ": keep-alive") {
		t.Fatalf("stream = %q", got)
	}
	p.check(t, h2)
}
