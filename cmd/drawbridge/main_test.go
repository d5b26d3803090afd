package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

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
// client to the URL it prints, signing in with the printed credentials.
func TestDemo(t *testing.T) {
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
		done <- run(ctx, []string{"demo", "--addr", addr, "--data", t.TempDir(), "--user", "dana", "--log-level", "warn"}, &out, &errOut)
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
	if !strings.Contains(banner, "claude mcp add --transport http snippets "+mcpURL) || !strings.Contains(banner, `"url": "`+mcpURL+`"`) {
		t.Errorf("banner lacks client settings:\n%s", banner)
	}

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
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exited with %d: %s", code, errOut.String())
	}
}

func field(banner, label string) string {
	for _, l := range strings.Split(banner, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), label); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
