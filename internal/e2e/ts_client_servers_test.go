package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// TestTypeScriptSDKClientServers runs the official TypeScript SDK's client
// against an OpenAPI server and a composed server (the snippets server
// and the OpenAPI-described API as members): it signs in with OAuth, lists
// the tools and calls one, which reaches the REST API with the API's own
// key and never the client's token.
func TestTypeScriptSDKClientServers(t *testing.T) {
	nt := needNode(t)
	var got []*http.Request
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Clone(context.Background()))
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/api/v3/pet/7" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		fmt.Fprint(w, `{"id":7,"name":"Tom","photoUrls":[]}`)
	}))
	t.Cleanup(api.Close)
	spec, err := filepath.Abs("../openapi/testdata/petstore3.yaml")
	if err != nil {
		t.Fatal(err)
	}
	snip := gwtest.StartBackend(t, true)
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: fmt.Sprintf(`  - name: petstore
    path: /petstore/mcp
    openapi: {spec: %[1]q, base_url: %[2]q, include: [getPetById, findPetsByStatus]}
    auth: {mode: headers, headers: {api_key: pets-key}}
  - name: all
    path: /all/mcp
    compose:
      - {name: snippets, upstream: %[3]q, headers: {x-functions-key: "${SNIPPETS_KEY}"}}
      - name: pets
        prefix: pets_
        openapi: {spec: %[1]q, base_url: %[2]q, include: [getPetById]}
        auth: {mode: headers, headers: {api_key: pets-key}}
`, spec, api.URL+"/api/v3", snip.URL), Env: map[string]string{"SNIPPETS_KEY": snip.Key}})
	for _, tc := range []struct {
		path, tool, tools string
	}{
		{"/petstore/mcp", "getPetById", "findPetsByStatus,getPetById"},
		{"/all/mcp", "pets_getPetById", "get_snippet,hello_mcp,pets_getPetById,save_snippet"},
	} {
		t.Run(strings.Trim(tc.path, "/"), func(t *testing.T) {
			r := runTSCall(t, nt, gw, gw.URL+tc.path, tc.tool, map[string]any{"petId": 7})
			if got := strings.Join(r.Tools, ","); got != tc.tools {
				t.Errorf("tools = %s, want %s", got, tc.tools)
			}
			if !strings.Contains(r.Called, `"name":"Tom"`) {
				t.Errorf("%s = %q", tc.tool, r.Called)
			}
		})
	}
	if len(got) != 2 {
		t.Fatalf("the API got %d requests, want 2", len(got))
	}
	for _, r := range got {
		if r.Header.Get("api_key") != "pets-key" || r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
			t.Errorf("the API got api_key %q, Authorization %q, Cookie %q", r.Header.Get("api_key"), r.Header.Get("Authorization"), r.Header.Get("Cookie"))
		}
	}
}

// tsCall is the DRAWBRIDGE_RESULT line of ts-client.mjs with TS_CLIENT_CALL.
type tsCall struct {
	ClientID string   `json:"client_id"`
	Tools    []string `json:"tools"`
	Called   string   `json:"called"`
}

// runTSCall runs ts-client.mjs against endpoint with dynamic registration,
// signs in as the user, and returns what it listed and what the call gave.
func runTSCall(t *testing.T, nt nodeTools, gw *gwtest.Gateway, endpoint, tool string, args map[string]any) tsCall {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := scriptDir(t, nt, "ts-client.mjs")
	callJSON, _ := json.Marshal(map[string]any{"name": tool, "arguments": args})
	p := startNode(t, ctx, nt, dir, append(nt.env(t.TempDir()), "TS_CLIENT_CALL="+string(callJSON)), filepath.Join(dir, "ts-client.mjs"), endpoint)
	report := func() string { return "ts-client output:\n" + p.transcript() }
	var at int
	if _, err := waitMarker(ctx, p, &at, "DRAWBRIDGE_CALLBACK_URL "); err != nil {
		t.Fatalf("%v\n%s", err, report())
	}
	authURL, err := waitMarker(ctx, p, &at, "DRAWBRIDGE_AUTHORIZE_URL ")
	if err != nil {
		t.Fatalf("%v\n%s", err, report())
	}
	if _, err := signIn(gw, authURL); err != nil {
		t.Fatalf("%v\n%s", err, report())
	}
	line, err := waitMarker(ctx, p, &at, "DRAWBRIDGE_RESULT ")
	if err != nil {
		t.Fatalf("%v\n%s", err, report())
	}
	if err := p.wait(ctx); err != nil {
		t.Errorf("ts-client exited with %v\n%s", err, report())
	}
	var r tsCall
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatalf("result %q: %v", line, err)
	}
	if r.ClientID == "" {
		t.Errorf("no client id\n%s", report())
	}
	return r
}
