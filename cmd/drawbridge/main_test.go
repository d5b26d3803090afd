package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestVersionAndUsage(t *testing.T) {
	var out, errOut syncBuffer
	if code := run(context.Background(), []string{"version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "drawbridge ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errOut.String())
	}
	if code := run(context.Background(), nil, &out, &errOut); code != 2 {
		t.Fatalf("no command: %d", code)
	}
}

func TestCheckReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("public_url: ftp://x\nservers: [{name: A, path: x, upstream: y}]\n"), 0o600)
	var out, errOut syncBuffer
	code := run(context.Background(), []string{"check", "--config", bad}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit code %d", code)
	}
	for _, want := range []string{"public_url", "encryption_keys", "identity.local.users", "servers[0].name", "servers[0].path", "servers[0].upstream"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("check did not report %s:\n%s", want, errOut.String())
		}
	}
	good := filepath.Join("..", "..", "examples", "drawbridge.yaml")
	for k, v := range map[string]string{"DRAWBRIDGE_ENCRYPTION_KEY": generateKey(), "ENTRA_TENANT_ID": "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"ENTRA_CLIENT_ID": "c", "ENTRA_CLIENT_SECRET": "s", "INTERNAL_AGENT_SECRET": "x-very-long-secret-value", "SNIPPETS_KEY": "k"} {
		t.Setenv(k, v)
	}
	if code := run(context.Background(), []string{"check", "--config", good}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "valid") {
		t.Fatalf("example config: %d %s", code, errOut.String())
	}
	if strings.Contains(out.String(), "warning") {
		t.Errorf("the example config draws warnings:\n%s", out.String())
	}

	// A warning is printed, and the configuration still passes.
	warned := filepath.Join(dir, "warned.yaml")
	os.WriteFile(warned, []byte(`
public_url: https://gw.example.com
encryption_keys: [{id: k1, key: "`+generateKey()+`"}]
identity: {type: oidc, oidc: {issuer: "https://idp.example.com", client_id: gw, client_secret: s}}
servers: [{name: s, path: /mcp, upstream: "http://127.0.0.1:7071/mcp", auth: {mode: upstream_token, audience: "api://gw"}}]
`), 0o600)
	out = syncBuffer{}
	if code := run(context.Background(), []string{"check", "--config", warned}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "warning: servers[s].auth.mode upstream_token") || !strings.Contains(out.String(), "valid") {
		t.Fatalf("check with a warning: %d %q %s", code, out.String(), errOut.String())
	}
}

// TestCheckReportsEveryUnknownKey: check goes on past the first unknown
// key, and reports every one with its line, next to the other problems.
func TestCheckReportsEveryUnknownKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drawbridge.yaml")
	os.WriteFile(path, []byte(`public_url: https://mcp.example.com
encryption_keys: [{id: k1, key: short}]
identity:
  type: local
  local:
    users: [{username: alice, pasword_hash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA"}]
servers:
  - name: snippets
    path: /mcp
    upstream: http://127.0.0.1:7071/mcp
    scope: [snippets]
    timeout: 5 minutes
tokenz: {access_token_ttl: 1h}
`), 0o600)
	var out, errOut syncBuffer
	code := run(context.Background(), []string{"check", "--config", path}, &out, &errOut)
	want := `drawbridge: config has 6 problem(s):
  - line 6: identity.local.users[0].pasword_hash: unknown key (did you mean password_hash?)
  - line 11: servers[0].scope: unknown key (did you mean scopes?)
  - line 12: servers[0].timeout: "5 minutes" is not a duration such as 90s, 10m or 720h
  - line 13: tokenz: unknown key (did you mean tokens?)
  - encryption_keys[0].key: must be 32 bytes in standard base64
  - identity.local.users[0].password_hash: must be a bcrypt or argon2id hash (use ` + "`drawbridge hash-password`" + `)
`
	if code != 1 || errOut.String() != want || out.String() != "" {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out.String(), errOut.String(), want)
	}
}

// TestCheckMachineOnly: a configuration for machine clients only needs no
// identity section and passes check without a warning.
func TestCheckMachineOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drawbridge.yaml")
	os.WriteFile(path, []byte(`public_url: https://mcp.example.com
encryption_keys: [{id: k1, key: "`+generateKey()+`"}]
clients:
  - id: nightly-report
    secret: "a-long-enough-client-secret"
    grant_types: [client_credentials]
servers:
  - {name: snippets, path: /mcp, upstream: "http://127.0.0.1:7071/mcp", scopes: [snippets]}
`), 0o600)
	var out, errOut syncBuffer
	if code := run(context.Background(), []string{"check", "--config", path}, &out, &errOut); code != 0 ||
		out.String() != path+": configuration is valid\n" || errOut.String() != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

func TestHashPassword(t *testing.T) {
	stdin = strings.NewReader("a long enough password\n")
	defer func() { stdin = os.Stdin }()
	var out, errOut syncBuffer
	if code := run(context.Background(), []string{"hash-password"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "$argon2id$") {
		t.Fatalf("%d %q %q", code, out.String(), errOut.String())
	}
	if strings.Contains(out.String()+errOut.String(), "a long enough password") {
		t.Fatal("the password was echoed")
	}
	stdin = strings.NewReader("short\n")
	if code := run(context.Background(), []string{"hash-password"}, &out, &errOut); code != 1 {
		t.Fatalf("short password accepted: %d", code)
	}
}

// TestDemo runs `drawbridge demo` as a user would and connects the Go SDK
// client to the URL it prints, signing in with the printed credentials. Its
// data goes to the user's cache directory, not the working directory.
func TestDemo(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache) // Linux
	t.Setenv("HOME", cache)           // macOS: $HOME/Library/Caches
	wantData, _ := os.UserCacheDir()
	wantData = filepath.Join(wantData, "drawbridge", "demo")
	wd := t.TempDir()
	t.Chdir(wd)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--addr", addr, "--user", "dana", "--log-level", "warn"}, &out, &errOut)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "Press Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("no banner; stderr:\n%s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	banner := out.String()
	mcpURL, user, password := field(banner, "MCP server URL:"), field(banner, "Sign in as:"), field(banner, "Password:")
	if mcpURL != "http://"+addr+"/mcp" || user != "dana" || len(password) < 12 {
		t.Fatalf("banner:\n%s", banner)
	}
	if !strings.Contains(banner, "(data in "+wantData+")") {
		t.Errorf("banner does not name the data directory %s:\n%s", wantData, banner)
	}
	if _, err := os.Stat(filepath.Join(wantData, "encryption.key")); err != nil {
		t.Errorf("no key in the data directory: %v", err)
	}
	if left, _ := os.ReadDir(wd); len(left) > 0 {
		t.Errorf("the demo wrote to the working directory: %v", left)
	}
	if !strings.Contains(banner, "claude mcp add --transport http snippets "+mcpURL) || !strings.Contains(banner, `"url": "`+mcpURL+`"`) {
		t.Errorf("banner lacks client settings:\n%s", banner)
	}

	h := demoOAuth(t, addr, user, password)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "demo-test", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: mcpURL, OAuthHandler: h}, nil)
	if err != nil {
		t.Fatalf("connect to the demo: %v", err)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "hello_mcp"})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "local:dana") {
		t.Fatalf("hello_mcp through the demo: %v %+v", err, res)
	}
	cs.Close()
	demoComposed(t, ctx, field(banner, "Composed server URL:"), addr, demoOAuth(t, addr, user, password))
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exited with %d: %s", code, errOut.String())
	}
}

// demoComposed: the demo's composed server shows the snippets tools and
// the to-do API's operations as one MCP server, and calls reach both
// backends, the snippets server still knowing who calls.
func demoComposed(t *testing.T, ctx context.Context, url, addr string, h *auth.AuthorizationCodeHandler) {
	t.Helper()
	if url != "http://"+addr+"/workspace/mcp" {
		t.Fatalf("composed server URL %q", url)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "demo-test", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: url, OAuthHandler: h}, nil)
	if err != nil {
		t.Fatalf("connect to the demo's composed server: %v", err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range tools.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	if got := strings.Join(names, ","); got != "add_todo,complete_todo,get_snippet,get_todo,hello_mcp,list_todos,save_snippet" {
		t.Fatalf("the composed server's tools: %s", got)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "add_todo", Arguments: map[string]any{"body": map[string]any{"title": "try Drawbridge"}}})
	if err != nil || res.IsError {
		t.Fatalf("add_todo: %v %+v", err, res)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "list_todos"})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, `"title":"try Drawbridge"`) {
		t.Fatalf("list_todos: %v %+v", err, res)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "hello_mcp"})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "local:dana") {
		t.Fatalf("hello_mcp through the composed server: %v %+v", err, res)
	}
}

// demoOAuth signs in to the demo as user, in a browser of its own.
func demoOAuth(t *testing.T, addr, user, password string) *auth.AuthorizationCodeHandler {
	t.Helper()
	br := browser.New("http://" + addr)
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			RedirectURIs: []string{"http://127.0.0.1:43299/cb"}, ClientName: "demo test", TokenEndpointAuthMethod: "none",
		}},
		AuthorizationCodeFetcher: func(ctx context.Context, a *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			p, err := br.SignInLocal(a.URL, user, password, true)
			if err != nil || p.Callback == nil {
				return nil, fmt.Errorf("sign-in: %v", err)
			}
			q := p.Callback.Query()
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func field(banner, label string) string {
	for _, l := range strings.Split(banner, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), label); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestDemoDataIsGitIgnored: the folders Drawbridge creates in a working
// directory by default (the demo's, when there is no user cache
// directory, and the SQLite default of serve) never show up in git status
// of a checkout.
func TestDemoDataIsGitIgnored(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout")
	}
	repo := strings.TrimSpace(string(top))
	for _, p := range []string{fallbackDemoDir + "/drawbridge.db", fallbackDemoDir + "/encryption.key", filepath.Dir(config.DefaultSQLitePath) + "/drawbridge.db"} {
		// --no-index: whether the path would be ignored, tracked or not.
		if out, err := exec.Command("git", "-C", repo, "check-ignore", "--no-index", "-v", p).CombinedOutput(); err != nil {
			t.Errorf("%s is not git-ignored: %v %s", p, err, out)
		}
	}
}
