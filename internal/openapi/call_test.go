package openapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/backendauth"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// recorded is one request the test API received.
type recorded struct {
	Method, URI, Body string
	Header            http.Header
}

type api struct {
	mu   sync.Mutex
	got  []recorded
	srv  *httptest.Server
	next http.HandlerFunc
}

func newAPI(t *testing.T, h http.HandlerFunc) *api {
	a := &api{next: h}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.got = append(a.got, recorded{r.Method, r.RequestURI, string(b), r.Header.Clone()})
		a.mu.Unlock()
		a.next(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *api) requests() []recorded {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]recorded(nil), a.got...)
}

func testClient(t *testing.T, base string) *Client {
	return &Client{Base: mustURL(t, base), HTTP: &http.Client{}, Timeout: 5 * time.Second, MaxResponseBytes: 1 << 10,
		Log: slog.New(slog.DiscardHandler)}
}

func text(r *mcp.CallToolResult) string {
	var parts []string
	for _, c := range r.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func TestCallResults(t *testing.T) {
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v3/pet/1":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":1,"name":"Rex"}`)
		case "/v3/pet/2":
			http.Redirect(w, r, "http://elsewhere.example/steal", http.StatusFound)
		case "/v3/pet/3":
			fmt.Fprint(w, strings.Repeat("x", 2000))
		case "/v3/pet/findByStatus":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `[{"id":1}]`)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Pet not found"}`+strings.Repeat(" ", 5000)+"END")
		}
	})
	set := petstore(t)
	c := testClient(t, a.srv.URL+"/v3")
	get := toolNamed(t, set, "getPetById")

	r := c.Call(context.Background(), get, json.RawMessage(`{"petId":1}`))
	if r.IsError || text(r) != `{"id":1,"name":"Rex"}` || jsonOf(t, r.StructuredContent) != `{"id":1,"name":"Rex"}` {
		t.Errorf("200: %+v %q", r, text(r))
	}
	r = c.Call(context.Background(), get, json.RawMessage(`{"petId":9}`))
	if !r.IsError || !strings.HasPrefix(text(r), "HTTP 404 Not Found\n\n{\"message\":\"Pet not found\"}") || strings.Contains(text(r), "END") || !strings.HasSuffix(text(r), " …(cut)") || r.StructuredContent != nil {
		t.Errorf("404: %+v %q", r, text(r))
	}
	// A redirect is an answer, never a hop: the API's 302 is a tool error.
	r = c.Call(context.Background(), get, json.RawMessage(`{"petId":2}`))
	if !r.IsError || !strings.HasPrefix(text(r), "HTTP 302 Found") {
		t.Errorf("302: %+v %q", r, text(r))
	}
	r = c.Call(context.Background(), get, json.RawMessage(`{"petId":3}`))
	if !r.IsError || text(r) != "HTTP 200: the response is larger than the limit of 1024 bytes" {
		t.Errorf("too large: %q", text(r))
	}
	r = c.Call(context.Background(), toolNamed(t, set, "findPetsByStatus"), json.RawMessage(`{"status":"sold"}`))
	if r.IsError || r.StructuredContent != nil || text(r) != `[{"id":1}]` {
		t.Errorf("array: %+v %q", r, text(r))
	}
	r = c.Call(context.Background(), get, json.RawMessage(`{"petId":"../../admin"}`))
	if !r.IsError || !strings.HasPrefix(text(r), "HTTP 404 Not Found") {
		t.Errorf("escaped id: %q", text(r))
	}
	want := []string{"/v3/pet/1", "/v3/pet/9", "/v3/pet/2", "/v3/pet/3", "/v3/pet/findByStatus?status=sold", "/v3/pet/..%2F..%2Fadmin"}
	got := a.requests()
	if len(got) != len(want) {
		t.Fatalf("API got %d requests, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].URI != w || got[i].Method != "GET" {
			t.Errorf("request %d = %s %s, want GET %s", i, got[i].Method, got[i].URI, w)
		}
	}
}

func TestCallBadArgumentsSendNothing(t *testing.T) {
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request) {})
	c := testClient(t, a.srv.URL)
	r := c.Call(context.Background(), toolNamed(t, petstore(t), "getPetById"), json.RawMessage(`{"petId":".."}`))
	if !r.IsError || text(r) != `invalid arguments: "petId" cannot be ".." in a path` {
		t.Errorf("result = %q", text(r))
	}
	if n := len(a.requests()); n != 0 {
		t.Errorf("API got %d requests", n)
	}
}

// callerKey stands in for the gateway's context key in these tests.
type callerKey struct{}

type recordingCredential struct{ subjects []string }

func (c *recordingCredential) Headers(_ context.Context, caller *tokens.AccessClaims) (http.Header, error) {
	c.subjects = append(c.subjects, caller.Subject)
	return http.Header{"X-Caller": {caller.Subject}}, nil
}

// The credential is attached by the client, for the caller the gateway
// verified, and overrides whatever header the arguments set.
func TestCallCredentials(t *testing.T) {
	tokenServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if id, secret, _ := r.BasicAuth(); id != "drawbridge" || secret != "s3cret" || r.Form.Get("grant_type") != "client_credentials" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"cc-token","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(tokenServer.Close)
	cc, err := backendauth.NewClientCredentials(backendauth.ClientCredentialsConfig{TokenURL: tokenServer.URL,
		ClientID: "drawbridge", ClientSecret: "s3cret", HTTPClient: tokenServer.Client(), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	static, err := backendauth.NewStaticHeaders(map[string]string{"api_key": "backend-key"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingCredential{}
	for _, tt := range []struct {
		name   string
		cred   backendauth.Credential
		header string
		want   string
	}{
		{"client_credentials", cc, "Authorization", "Bearer cc-token"},
		{"headers", static, "api_key", "backend-key"},
		{"per caller", rec, "X-Caller", "alice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, func(w http.ResponseWriter, r *http.Request) {})
			c := testClient(t, a.srv.URL+"/v3")
			c.Credential = tt.cred
			c.Headers = map[string]string{"X-Static": "1"}
			c.Caller = func(ctx context.Context) *tokens.AccessClaims {
				v, _ := ctx.Value(callerKey{}).(*tokens.AccessClaims)
				return v
			}
			ctx := context.WithValue(context.Background(), callerKey{}, &tokens.AccessClaims{Subject: "alice"})
			// deletePet declares an api_key header: the caller's value
			// loses to the backend credential's.
			r := c.Call(ctx, toolNamed(t, petstore(t), "deletePet"), json.RawMessage(`{"petId":5,"api_key":"caller-key"}`))
			if r.IsError {
				t.Fatalf("call: %q", text(r))
			}
			got := a.requests()
			if len(got) != 1 || got[0].Method != "DELETE" || got[0].URI != "/v3/pet/5" {
				t.Fatalf("requests = %+v", got)
			}
			if v := got[0].Header.Values(tt.header); len(v) != 1 || v[0] != tt.want {
				t.Errorf("%s = %q, want %q", tt.header, v, tt.want)
			}
			if got[0].Header.Get("X-Static") != "1" {
				t.Errorf("configured header missing")
			}
		})
	}
	if strings.Join(rec.subjects, ",") != "alice" {
		t.Errorf("credential saw callers %v", rec.subjects)
	}
}

type failingCredential struct{ err error }

func (f failingCredential) Headers(context.Context, *tokens.AccessClaims) (http.Header, error) {
	return nil, f.err
}

func TestCallCredentialFailureSendsNothing(t *testing.T) {
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request) {})
	for err, want := range map[error]string{
		backendauth.ErrSignInAgain:             "the sign-in at the identity provider has ended; sign in again",
		fmt.Errorf("token endpoint: secret-x"): "the gateway could not get a credential for the API",
	} {
		c := testClient(t, a.srv.URL)
		c.Credential = failingCredential{err}
		r := c.Call(context.Background(), toolNamed(t, petstore(t), "getPetById"), json.RawMessage(`{"petId":1}`))
		if !r.IsError || text(r) != want {
			t.Errorf("%v: %q", err, text(r))
		}
	}
	if n := len(a.requests()); n != 0 {
		t.Errorf("API got %d requests", n)
	}
}
