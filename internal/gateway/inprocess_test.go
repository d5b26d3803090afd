package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// TestNoteRouted: an in-process backend's word on where it sent a request
// reaches the request's audit record (backend, backend_name); a request it
// did not route, and work done on a detached context, carry nothing.
func TestNoteRouted(t *testing.T) {
	log := &auditLog{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Mcp-Name"), "gh_search") || r.URL.Query().Get("route") == "1" {
			NoteRouted(r.Context(), "github", "search")
		}
		NoteRouted(Detach(r.Context()), "elsewhere", "ignored")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{"content":[]}}`))
	})
	gw := newTestGatewayOpts(t, http.NotFoundHandler(), func(b *Backend) { b.Handler = handler },
		func(o *Options) { o.Audit = log })
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"gh_search","arguments":{}}}`
	for _, q := range []string{"?route=1", ""} {
		req, _ := http.NewRequest(http.MethodPost, gw.URL+"/mcp"+q, strings.NewReader(call))
		req.Header.Set("Authorization", "Bearer good")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	ev := log.take(2)
	if len(ev) != 2 {
		t.Fatalf("%d events", len(ev))
	}
	if e := ev[0]; e.Type != audit.MCPRequest || e.Name != "gh_search" || e.Backend != "github" || e.BackendName != "search" {
		t.Errorf("routed call: %+v", e)
	}
	if e := ev[1]; e.Backend != "" || e.BackendName != "" {
		t.Errorf("unrouted call carries backend %q/%q", e.Backend, e.BackendName)
	}
}

// TestDetach: a detached context keeps the caller and the values but not
// the cancellation; outside a request it has no caller.
func TestDetach(t *testing.T) {
	x := &exchange{claims: &tokens.AccessClaims{Subject: "alice"}}
	ctx, cancel := context.WithCancel(withExchange(context.WithValue(context.Background(), ctxTestKey{}, "v"), x))
	d := Detach(ctx)
	cancel()
	if d.Err() != nil {
		t.Error("the detached context was cancelled with the request")
	}
	if c := Claims(d); c == nil || c.Subject != "alice" {
		t.Errorf("claims = %+v", c)
	}
	if d.Value(ctxTestKey{}) != "v" {
		t.Error("values lost")
	}
	NoteRouted(d, "m", "n")
	if _, ok := x.routes.only(); ok {
		t.Error("a detached context's route was credited to the request")
	}
	if Claims(Detach(context.Background())) != nil {
		t.Error("a caller out of nowhere")
	}
}

type ctxTestKey struct{}

// TestSetIdentity: whatever was under the identity names, in any
// spelling, is replaced by the caller's, or removed without one.
func TestSetIdentity(t *testing.T) {
	h := http.Header{"X-Drawbridge-Subject": {"mallory"}, "X_drawbridge_groups": {"admins"}, "Accept": {"*/*"}}
	SetIdentity(h, &tokens.AccessClaims{Subject: "alice", ClientID: "c1"})
	if h.Get(HeaderSubject) != "alice" || h.Get(HeaderClientID) != "c1" || h.Get("X_drawbridge_groups") != "" || h.Get("Accept") != "*/*" || len(h) != 3 {
		t.Errorf("with a caller: %v", h)
	}
	SetIdentity(h, nil)
	if len(h) != 1 {
		t.Errorf("without one: %v", h)
	}
}

// TestInProcessSessionsBound: the sessions an in-process backend opens
// are bound to the caller as a proxied backend's are (RS6): another user
// presenting the id, or an id the backend never issued through the
// gateway, gets 404 and never reaches the backend; once its owner ends
// it, nobody can use it.
func TestInProcessSessionsBound(t *testing.T) {
	var served []string
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served = append(served, r.Method+" "+r.Header.Get("Mcp-Session-Id"))
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if r.Header.Get("Mcp-Session-Id") == "" {
			w.Header().Set("Mcp-Session-Id", "s-1")
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":1,"result":{}}`))
	})
	gw := newTestGateway(t, http.NotFoundHandler(), func(b *Backend) { b.Handler = handler })
	sid := func(id string) map[string]string { return map[string]string{"Mcp-Session-Id": id} }
	if resp := do(t, http.MethodPost, gw.URL+"/mcp", "good", nil); resp.StatusCode != 200 || resp.Header.Get("Mcp-Session-Id") != "s-1" {
		t.Fatalf("alice's initialize: %d %q", resp.StatusCode, resp.Header.Get("Mcp-Session-Id"))
	}
	for _, tc := range []struct {
		method, token, session string
		want                   int
	}{
		{http.MethodPost, "bob", "s-1", 404},
		{http.MethodGet, "bob", "s-1", 404},
		{http.MethodDelete, "bob", "s-1", 404},
		{http.MethodPost, "good", "s-2", 404},
		{http.MethodPost, "good", "s-1", 200},
		{http.MethodDelete, "good", "s-1", 204},
		{http.MethodPost, "good", "s-1", 404},
	} {
		if resp := do(t, tc.method, gw.URL+"/mcp", tc.token, sid(tc.session)); resp.StatusCode != tc.want {
			t.Errorf("%s by %s with session %s: %d, want %d", tc.method, tc.token, tc.session, resp.StatusCode, tc.want)
		}
	}
	if got := strings.Join(served, ","); got != "POST ,POST s-1,DELETE s-1" {
		t.Errorf("the backend served %s", got)
	}
}
