package server_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// petstoreAPI implements a handful of the Swagger Petstore's operations
// and records every request it receives.
type petstoreAPI struct {
	mu   sync.Mutex
	got  []apiRequest
	pets map[string]map[string]any
}

type apiRequest struct {
	Method, URI, Body string
	Header            http.Header
}

func (p *petstoreAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, apiRequest{r.Method, r.RequestURI, string(body), r.Header.Clone()})
	w.Header().Set("Content-Type", "application/json")
	id := strings.TrimPrefix(r.URL.Path, "/api/v3/pet/")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v3/pet":
		var pet map[string]any
		if json.Unmarshal(body, &pet) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		p.pets[fmt.Sprint(pet["id"])] = pet
		_ = json.NewEncoder(w).Encode(pet)
	case r.Method == http.MethodGet && r.URL.Path == "/api/v3/pet/findByStatus":
		var out []any
		for _, pet := range p.pets {
			if pet["status"] == r.URL.Query().Get("status") {
				out = append(out, pet)
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodGet && p.pets[id] != nil:
		_ = json.NewEncoder(w).Encode(p.pets[id])
	case r.Method == http.MethodDelete && p.pets[id] != nil:
		delete(p.pets, id)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"code":404,"message":"Pet not found"}`)
	}
}

func (p *petstoreAPI) requests() []apiRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

func connectSDKVersion(t *testing.T, ctx context.Context, endpoint, version string, br *browser.Browser) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "drawbridge-e2e", Version: "1.0.0"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, OAuthHandler: sdkOAuthHandler(t, br, gwtest.User)},
		&mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connect through the gateway: %v", err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// TestOpenAPIServerThroughGateway: the Swagger Petstore document served as
// an MCP server, reached by the Go SDK client with OAuth in both protocol
// eras. The API gets exactly the requests the calls describe, with the
// backend's own credential and never the client's token; the policy
// applies to the tools like any other server's.
func TestOpenAPIServerThroughGateway(t *testing.T) {
	api := &petstoreAPI{pets: map[string]map[string]any{}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	spec, err := filepath.Abs("../openapi/testdata/petstore3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	extra := fmt.Sprintf(`  - name: petstore
    path: /petstore/mcp
    openapi:
      spec: %q
      base_url: %q
      include: [addPet, getPetById, findPetsByStatus, deletePet]
    auth: {mode: headers, headers: {api_key: backend-key}}
    policy:
      default: allow
      rules:
        - {name: no-deletes, tools: [deletePet], effect: deny}
`, spec, srv.URL+"/api/v3")
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: extra})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	for i, version := range []string{"", "2025-11-25"} {
		br := browser.New(gw.URL)
		cs := connectSDKVersion(t, ctx, gw.URL+"/petstore/mcp", version, br)
		if want := cmp.Or(version, "2026-07-28"); cs.InitializeResult().ProtocolVersion != want {
			t.Fatalf("negotiated %q, want %q", cs.InitializeResult().ProtocolVersion, want)
		}
		tools, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tl := range tools.Tools {
			names = append(names, tl.Name)
		}
		slices.Sort(names)
		if strings.Join(names, ",") != "addPet,findPetsByStatus,getPetById" {
			t.Fatalf("era %q: tools = %v (deletePet is denied by policy, so hidden)", version, names)
		}
		id := 100 + i
		pet := map[string]any{"id": id, "name": "Rex", "photoUrls": []any{}, "status": "available"}
		if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "addPet", Arguments: map[string]any{"body": pet}}); err != nil || res.IsError {
			t.Fatalf("addPet: %v %+v", err, res)
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "getPetById", Arguments: map[string]any{"petId": id}})
		if err != nil || res.IsError {
			t.Fatalf("getPetById: %v %+v", err, res)
		}
		if got, _ := json.Marshal(res.StructuredContent); !strings.Contains(string(got), `"name":"Rex"`) {
			t.Errorf("getPetById structuredContent = %s", got)
		}
		res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "getPetById", Arguments: map[string]any{"petId": "../../../admin"}})
		if err != nil || !res.IsError || !strings.HasPrefix(res.Content[0].(*mcp.TextContent).Text, "HTTP 404 Not Found") {
			t.Errorf("getPetById of a path: %v %+v", err, res)
		}
		if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "deletePet", Arguments: map[string]any{"petId": id}}); err == nil && !res.IsError {
			t.Errorf("deletePet went through a deny rule: %+v", res)
		}
		if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "findPetsByStatus", Arguments: map[string]any{"status": "available"}}); err != nil || res.IsError {
			t.Errorf("findPetsByStatus: %v %+v", err, res)
		}
	}

	// A token for the snippets server is not good for the OpenAPI server
	// (RS4), and no request reaches the API.
	c := gwtest.RegisterClient(t, gw, nil)
	at := c.Tokens(gwtest.User)["access_token"].(string)
	if resp := gwtest.MCPCall(t, gw.URL+"/petstore/mcp", "Bearer "+at); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("snippets token at the OpenAPI server: %d, want 401", resp.StatusCode)
	}

	want := []string{
		"POST /api/v3/pet", "GET /api/v3/pet/100", "GET /api/v3/pet/..%2F..%2F..%2Fadmin", "GET /api/v3/pet/findByStatus?status=available",
		"POST /api/v3/pet", "GET /api/v3/pet/101", "GET /api/v3/pet/..%2F..%2F..%2Fadmin", "GET /api/v3/pet/findByStatus?status=available",
	}
	got := api.requests()
	var lines []string
	for _, r := range got {
		lines = append(lines, r.Method+" "+r.URI)
		if r.Header.Get("api_key") != "backend-key" {
			t.Errorf("%s %s: api_key = %q, want the backend's own key", r.Method, r.URI, r.Header.Get("api_key"))
		}
		// The client's token never reaches the API (RS5).
		if v := r.Header.Values("Authorization"); len(v) != 0 {
			t.Errorf("%s %s: Authorization %q reached the API", r.Method, r.URI, v)
		}
		if r.Header.Get("Cookie") != "" || r.Header.Get("Mcp-Session-Id") != "" {
			t.Errorf("%s %s: client headers reached the API: %v", r.Method, r.URI, r.Header)
		}
	}
	if !slices.Equal(lines, want) {
		t.Errorf("the API received:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got[0].Body != `{"id":100,"name":"Rex","photoUrls":[],"status":"available"}` || got[0].Header.Get("Content-Type") != "application/json" {
		t.Errorf("addPet sent %q (%s)", got[0].Body, got[0].Header.Get("Content-Type"))
	}
}

// TestOpenAPIServerClientCredentials: an OpenAPI server whose credential
// is a token of its own from a client-credentials grant, fetched by the
// gateway's assembly and sent by the OpenAPI client; the API sees that
// token, never the MCP client's.
func TestOpenAPIServerClientCredentials(t *testing.T) {
	var grants int
	var mu sync.Mutex
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if id, secret, _ := r.BasicAuth(); id != "petstore-client" || secret != "cc-secret-value" || r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("scope") != "pets.read" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		grants++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"petstore-cc-token","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(tokenSrv.Close)
	api := &petstoreAPI{pets: map[string]map[string]any{"7": {"id": 7, "name": "Tom"}}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	spec, err := filepath.Abs("../openapi/testdata/petstore3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	extra := fmt.Sprintf(`  - name: petstore
    path: /petstore/mcp
    openapi: {spec: %q, base_url: %q, include: [getPetById]}
    auth: {mode: client_credentials, token_url: %q, client_id: petstore-client, client_secret: cc-secret-value, scopes: [pets.read]}
`, spec, srv.URL+"/api/v3", tokenSrv.URL)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: extra})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs := connectSDKVersion(t, ctx, gw.URL+"/petstore/mcp", "", browser.New(gw.URL))
	for range 2 {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "getPetById", Arguments: map[string]any{"petId": 7}})
		if err != nil || res.IsError {
			t.Fatalf("getPetById: %v %+v", err, res)
		}
	}
	got := api.requests()
	if len(got) != 2 {
		t.Fatalf("the API got %d requests", len(got))
	}
	for _, r := range got {
		if v := r.Header.Values("Authorization"); r.URI != "/api/v3/pet/7" || len(v) != 1 || v[0] != "Bearer petstore-cc-token" {
			t.Errorf("%s %s: Authorization %q, want the backend's own token only", r.Method, r.URI, v)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if grants != 1 {
		t.Errorf("%d client-credentials grants for two calls, want 1 (the token is cached)", grants)
	}
}
