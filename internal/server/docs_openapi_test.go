package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// toHost sends the requests for one host to a local test server instead.
type toHost struct{ host, addr string }

func (h toHost) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == h.host {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = "http", h.addr
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestDocsOpenAPIPetstore runs the worked configuration of docs/openapi.md
// as written, against a local Petstore that serves the published document
// and a few operations.
func TestDocsOpenAPIPetstore(t *testing.T) {
	spec, err := os.ReadFile("../openapi/testdata/petstore3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	api := &petstoreAPI{pets: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/openapi.json", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(spec) })
	mux.HandleFunc("GET /api/v3/store/inventory", func(w http.ResponseWriter, r *http.Request) {
		api.ServeHTTP(httptest.NewRecorder(), r) // recorded
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"available":3}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: docBlock(t, "openapi.md", "petstore"),
		Env:       map[string]string{"PETSTORE_API_KEY": "pk-123"},
		Transport: toHost{"petstore3.swagger.io", srv.Listener.Addr().String()}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs := connectSDKVersion(t, ctx, gw.URL+"/petstore/mcp", "", browser.New(gw.URL))
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	// alice is in eng, so she sees the writes too.
	if got := strings.Join(names, ","); got != "addPet,findPetsByStatus,findPetsByTags,getInventory,getPetById,updatePet,updatePetWithForm,uploadFile" {
		t.Errorf("tools = %s", got)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "getInventory"})
	if err != nil || res.IsError || res.StructuredContent.(map[string]any)["available"] != float64(3) {
		t.Fatalf("getInventory: %v %+v", err, res)
	}
	// bob is not in eng: the policy hides the writes from him.
	client := mcp.NewClient(&mcp.Implementation{Name: "drawbridge-e2e", Version: "1.0.0"}, nil)
	bob, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.URL + "/petstore/mcp",
		OAuthHandler: sdkOAuthHandler(t, browser.New(gw.URL), "bob")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	if tools, err = bob.ListTools(ctx, nil); err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	if got := strings.Join(names, ","); got != "findPetsByStatus,findPetsByTags,getInventory,getPetById" {
		t.Errorf("bob's tools = %s", got)
	}
	got := api.requests()
	if len(got) != 1 || got[0].URI != "/api/v3/store/inventory" || got[0].Header.Get("api_key") != "pk-123" || got[0].Header.Get("Authorization") != "" {
		t.Errorf("the API received %+v", got)
	}
}
