package e2e

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// tsResult is the DRAWBRIDGE_RESULT line of testdata/ts-client.mjs.
type tsResult struct {
	ClientID             string   `json:"client_id"`
	RegistrationRequests int      `json:"registration_requests"`
	Iss                  string   `json:"iss"`
	TokenType            string   `json:"token_type"`
	Scope                string   `json:"scope"`
	HadRefreshToken      bool     `json:"had_refresh_token"`
	Tools                []string `json:"tools"`
	Saved                string   `json:"saved"`
	Fetched              string   `json:"fetched"`
	AfterRefresh         string   `json:"after_refresh"`
	TokenResponses       int      `json:"token_responses"`
	AccessTokenChanged   bool     `json:"access_token_changed"`
	RefreshTokenRotated  bool     `json:"refresh_token_rotated"`
}

// TestTypeScriptSDKClient runs the official TypeScript SDK's client
// (StreamableHTTPClientTransport with an OAuthClientProvider) against a
// gateway: 401 → discovery → client identification → the user signs in and
// approves in the browser → the browser's redirect reaches the script's own
// loopback callback → token → tools/list and tools/call. Then the access
// token expires (the gateway's clock moves past its lifetime) and the SDK
// must refresh it by itself on the next call's 401.
//
// The SDK identifies itself with a client ID metadata document when its
// provider has a clientMetadataUrl and the authorization server advertises
// client_id_metadata_document_supported (auth.js, SEP-991), and registers
// dynamically otherwise: "cimd" is the main case, "dcr" the fallback.
func TestTypeScriptSDKClient(t *testing.T) {
	nt := needNode(t)
	for _, reg := range testedRegistrations["@modelcontextprotocol/sdk"] {
		t.Run(reg.subtest(), func(t *testing.T) {
			if reg == regCIMD {
				gw, docs := startCIMDGateway(t)
				runTSClient(t, nt, gw, docs)
			} else {
				runTSClient(t, nt, gwtest.Start(t, gwtest.Options{}), nil)
			}
		})
	}
}

// runTSClient runs the script once; with docs, it is given the URL of a
// metadata document that the test publishes once the script reports its
// redirect URI, before the browser takes the authorization request to the
// gateway (the first moment the gateway fetches the document).
func runTSClient(t *testing.T, nt nodeTools, gw *gwtest.Gateway, docs *docServer) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	const docPath = "/clients/ts-client.json"
	dir := scriptDir(t, nt, "ts-client.mjs")
	args := []string{filepath.Join(dir, "ts-client.mjs"), gw.MCP}
	if docs != nil {
		args = append(args, docs.url(docPath))
	}
	p := startNode(t, ctx, nt, dir, nt.env(t.TempDir()), args...)
	report := func() string { return "ts-client output:\n" + p.transcript() }

	var at int
	callback, err := waitMarker(ctx, p, &at, "DRAWBRIDGE_CALLBACK_URL ")
	if err != nil {
		t.Fatalf("%v\n%s", err, report())
	}
	var clientID string
	if docs != nil {
		clientID = docs.publish(docPath, "Drawbridge e2e (TypeScript SDK)", callback)
	}
	authURL, err := waitMarker(ctx, p, &at, "DRAWBRIDGE_AUTHORIZE_URL ")
	if err != nil {
		t.Fatalf("%v\n%s", err, report())
	}
	if !strings.HasPrefix(authURL, gw.URL+"/authorize?") {
		t.Fatalf("authorization URL %q is not the gateway's authorization endpoint", authURL)
	}
	cb, err := signIn(gw, authURL)
	if err != nil {
		t.Fatalf("%v\n%s", err, report())
	}
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != callback {
		t.Errorf("the authorization response went to %s, not to the script's callback %s", got, callback)
	}

	if _, err := waitMarker(ctx, p, &at, "DRAWBRIDGE_WAITING "); err != nil {
		t.Fatalf("%v\n%s", err, report())
	}
	gw.Clock.Advance(time.Duration(gw.Cfg.Tokens.AccessTokenTTL) + time.Minute)
	if _, err := io.WriteString(p.stdin, "continue\n"); err != nil {
		t.Fatal(err)
	}

	line, err := waitMarker(ctx, p, &at, "DRAWBRIDGE_RESULT ")
	if err != nil {
		t.Fatalf("%v\n%s", err, report())
	}
	if err := p.wait(ctx); err != nil {
		t.Errorf("ts-client exited with %v", err)
	}
	var r tsResult
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatalf("result %q: %v", line, err)
	}

	switch {
	case docs != nil && r.ClientID != clientID:
		t.Errorf("client_id = %q, want the metadata document's URL %s", r.ClientID, clientID)
	case docs == nil && (r.ClientID == "" || strings.HasPrefix(r.ClientID, "https://")):
		t.Errorf("client_id = %q, want one issued by dynamic registration", r.ClientID)
	}
	if want := map[bool]int{true: 0, false: 1}[docs != nil]; r.RegistrationRequests != want {
		t.Errorf("the SDK sent %d registration requests, want %d", r.RegistrationRequests, want)
	}
	checkRegistration(t, gw, docs)
	if r.Iss != gw.URL {
		t.Errorf("iss in the authorization response = %q, want %q", r.Iss, gw.URL)
	}
	if !strings.EqualFold(r.TokenType, "Bearer") || !strings.Contains(" "+r.Scope+" ", " snippets ") || !r.HadRefreshToken {
		t.Errorf("token response: token_type %q, scope %q, refresh token %v; want Bearer, snippets, true", r.TokenType, r.Scope, r.HadRefreshToken)
	}
	if got := strings.Join(r.Tools, ","); got != "get_snippet,hello_mcp,save_snippet" {
		t.Errorf("tools/list through the gateway = %s", got)
	}
	if r.Saved == "" {
		t.Error("save_snippet returned no text")
	}
	for _, got := range []string{r.Fetched, r.AfterRefresh} {
		if !strings.Contains(got, "hello from the TypeScript SDK") {
			t.Errorf("get_snippet = %q", got)
		}
	}
	if r.TokenResponses != 2 || !r.AccessTokenChanged || !r.RefreshTokenRotated {
		t.Errorf("after expiry: %d token responses, new access token %v, refresh token rotated %v; want 2, true, true",
			r.TokenResponses, r.AccessTokenChanged, r.RefreshTokenRotated)
	}
	checkBackendNeverSawClientCredentials(t, gw)
	if t.Failed() {
		t.Log(report())
	}
}

// waitMarker waits for a line starting with marker and returns the rest.
func waitMarker(ctx context.Context, p *proc, at *int, marker string) (string, error) {
	l, err := p.waitLine(ctx, at, func(l string) bool { return strings.HasPrefix(l, marker) })
	return strings.TrimPrefix(l, marker), err
}

// scriptDir copies a testdata script into a fresh directory next to a
// node_modules link: Node resolves a module's bare imports from the module
// file's own directory upwards (NODE_PATH does not apply to ES modules), so
// this lets the script import the SDK exactly as a user's script would.
func scriptDir(t *testing.T, nt nodeTools, script string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, script), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(nt.modules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkBackendNeverSawClientCredentials: whatever the client, its token and
// cookies stop at the gateway, and every backend request carries the
// backend's own key instead.
func checkBackendNeverSawClientCredentials(t *testing.T, gw *gwtest.Gateway) {
	t.Helper()
	be := gw.Backend
	be.Mu.Lock()
	defer be.Mu.Unlock()
	if be.Requests == 0 {
		t.Fatal("no request reached the backend")
	}
	if len(be.Authorization) != 0 || len(be.Cookies) != 0 {
		t.Errorf("client credentials reached the backend: Authorization=%q Cookie=%q", be.Authorization, be.Cookies)
	}
	for _, k := range be.Keys {
		if k != be.Key {
			t.Fatal("a backend request lacked the backend's own key")
		}
	}
}
