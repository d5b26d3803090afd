package openapi

import (
	"context"
	"github.com/drawbridge-mcp/drawbridge/internal/openapi/opfilter"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The handler serves both protocol eras, and the caller put in the HTTP
// request's context (by the gateway, in production) reaches the
// credential of each call.
func TestHandlerBothEras(t *testing.T) {
	a := newAPI(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":4,"name":"Tom"}`))
	})
	rec := &recordingCredential{}
	c := testClient(t, a.srv.URL+"/v3")
	c.Credential = rec
	c.Caller = func(ctx context.Context) *tokens.AccessClaims {
		v, _ := ctx.Value(callerKey{}).(*tokens.AccessClaims)
		return v
	}
	set, err := Build(loadDoc(t, "testdata/petstore3.yaml"), opfilter.Filter{Include: []string{"getPetById", "deletePet"}})
	if err != nil {
		t.Fatal(err)
	}
	h := Handler(Options{Name: "petstore", Title: "Petstore", Tools: set.Tools, Client: c})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), callerKey{}, &tokens.AccessClaims{Subject: r.Header.Get("X-Test-User")})
		h.ServeHTTP(w, r.WithContext(ctx))
	}))
	t.Cleanup(srv.Close)
	for _, tt := range []struct{ version, user string }{{"", "modern-user"}, {"2025-11-25", "legacy-user"}} {
		t.Run("version "+tt.version, func(t *testing.T) {
			ctx := context.Background()
			hc := &http.Client{Transport: headerTransport{"X-Test-User", tt.user}}
			cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx,
				&mcp.StreamableClientTransport{Endpoint: srv.URL, HTTPClient: hc}, &mcp.ClientSessionOptions{ProtocolVersion: tt.version})
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			list, err := cs.ListTools(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Tools) != 2 || list.Tools[0].Name != "deletePet" || list.Tools[1].Name != "getPetById" || !list.Tools[1].Annotations.ReadOnlyHint {
				t.Fatalf("tools = %s", jsonOf(t, list.Tools))
			}
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "getPetById", Arguments: map[string]any{"petId": 4}})
			if err != nil {
				t.Fatal(err)
			}
			if res.IsError || jsonOf(t, res.StructuredContent) != `{"id":4,"name":"Tom"}` {
				t.Errorf("result = %s", jsonOf(t, res))
			}
			if n := len(rec.subjects); n == 0 || rec.subjects[n-1] != tt.user {
				t.Errorf("credential saw %v, want %s last", rec.subjects, tt.user)
			}
		})
	}
}

type headerTransport struct{ name, value string }

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.name, h.value)
	return http.DefaultTransport.RoundTrip(r)
}
