package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// mcp-remote is what stdio-only MCP clients (Claude Desktop, Cursor and
// many more) put in front of a remote server. It ships two programs, both
// tested here with their default settings but for mcpRemoteAuthTimeout:
// mcp-remote-client, a one-shot check that signs in and lists tools, and
// mcp-remote, the stdio proxy the desktop clients run. Both print the
// authorization URL on stderr, try to open a browser (neutralised by
// BROWSER=true, see nodeTools.env) and wait on their own loopback callback
// (http://localhost:<port>/oauth/callback); tokens are kept under
// $HOME/.mcp-auth, a temporary HOME here.
//
// Both identify themselves with a client ID metadata document when given
// --client-metadata-url and the authorization server advertises
// client_id_metadata_document_supported, and register dynamically
// otherwise; each test runs both ways (mcpRemoteSetup).

// mcpRemoteAuthTimeout (seconds) replaces mcp-remote's 30 s wait for the
// browser: on a loaded two-core CI machine running the race-enabled suite,
// the scripted sign-in must not lose a race against a timer.
const mcpRemoteAuthTimeout = "120"

// mcpRemoteSetup is a gateway and the mcp-remote arguments (after the
// server URL) for one way of identifying the client.
type mcpRemoteSetup struct {
	gw   *gwtest.Gateway
	docs *docServer // nil: dynamic registration
	args []string
	// clientID is the metadata document's URL, with docs.
	clientID string
}

// newMCPRemoteSetup: with CIMD, the document lists the one redirect URI
// mcp-remote will use, so the callback port is chosen here and passed as
// the port argument (which --client-metadata-url makes strict: mcp-remote
// fails rather than move to another port). Without, mcp-remote derives
// the port from the server URL, as users run it.
func newMCPRemoteSetup(t *testing.T, reg registration) mcpRemoteSetup {
	t.Helper()
	if reg != regCIMD {
		return mcpRemoteSetup{gw: gwtest.Start(t, gwtest.Options{}), args: []string{"--auth-timeout", mcpRemoteAuthTimeout}}
	}
	gw, docs := startCIMDGateway(t)
	port := freePort(t)
	id := docs.publish("/clients/mcp-remote.json", "mcp-remote (Drawbridge e2e)", fmt.Sprintf("http://localhost:%d/oauth/callback", port))
	return mcpRemoteSetup{gw: gw, docs: docs, clientID: id,
		args: []string{strconv.Itoa(port), "--auth-timeout", mcpRemoteAuthTimeout, "--client-metadata-url", id}}
}

// checkAuthorizeClient: the authorization request names the document's
// URL as client_id with CIMD, and a registered id otherwise.
func (s mcpRemoteSetup) checkAuthorizeClient(t *testing.T, authURL string) {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	id := u.Query().Get("client_id")
	switch {
	case s.docs != nil && id != s.clientID:
		t.Errorf("authorization request client_id = %q, want the metadata document's URL %s", id, s.clientID)
	case s.docs == nil && (id == "" || strings.HasPrefix(id, "https://")):
		t.Errorf("authorization request client_id = %q, want one issued by dynamic registration", id)
	}
}

// isAuthorizeURL matches mcp-remote's line "<authorization URL>", printed
// right after "Please authorize this client by visiting:".
func isAuthorizeURL(gw *gwtest.Gateway) func(string) bool {
	return func(l string) bool { return strings.HasPrefix(l, gw.URL+"/authorize?") }
}

// TestMCPRemoteClient runs `mcp-remote-client <mcp url>`: discovery,
// client identification, sign-in, consent, token, then tools/list (and
// resources/list, which the snippets server does not offer). It prints
// "Tools: <JSON>" and exits 0 when it got that far.
func TestMCPRemoteClient(t *testing.T) {
	nt := needNode(t)
	cli := nt.bin(t, "mcp-remote", "mcp-remote-client")
	for _, reg := range testedRegistrations["mcp-remote"] {
		t.Run(reg.subtest(), func(t *testing.T) {
			s := newMCPRemoteSetup(t, reg)
			gw := s.gw
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()

			p := startNode(t, ctx, nt, t.TempDir(), nt.env(t.TempDir()), append([]string{cli, gw.MCP}, s.args...)...)
			report := func() string { return "mcp-remote-client output:\n" + p.transcript() }
			var at int
			authURL, err := p.waitLine(ctx, &at, isAuthorizeURL(gw))
			if err != nil {
				t.Fatalf("%v\n%s", err, report())
			}
			s.checkAuthorizeClient(t, authURL)
			cb, err := signIn(gw, authURL)
			if err != nil {
				t.Fatalf("%v\n%s", err, report())
			}
			checkAuthorizationResponse(t, gw, cb)
			if err := p.wait(ctx); err != nil {
				t.Fatalf("mcp-remote-client exited with %v\n%s", err, report())
			}

			out := p.transcript()
			for _, want := range []string{"Connected successfully!", "Exiting OK..."} {
				if !strings.Contains(out, want) {
					t.Errorf("mcp-remote-client did not print %q", want)
				}
			}
			tools, err := mcpRemoteTools(p.lineLog)
			if err != nil {
				t.Error(err)
			} else if got := strings.Join(tools, ","); got != "get_snippet,hello_mcp,save_snippet" {
				t.Errorf("tools/list through mcp-remote-client = %s", got)
			}
			checkRegistration(t, gw, s.docs)
			checkBackendNeverSawClientCredentials(t, gw)
			if t.Failed() {
				t.Log(report())
			}
		})
	}
}

// mcpRemoteTools reads the tools/list result mcp-remote-client logs as
// "[pid] Tools: {" followed by the rest of the indented JSON.
func mcpRemoteTools(l *lineLog) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, ln := range l.lines {
		_, first, ok := strings.Cut(ln.text, "] Tools: ")
		if !ok {
			continue
		}
		doc := first
		for j := i + 1; !json.Valid([]byte(doc)) && j < len(l.lines); j++ {
			doc += "\n" + l.lines[j].text
		}
		var res struct {
			Tools []struct{ Name string } `json:"tools"`
		}
		if err := json.Unmarshal([]byte(doc), &res); err != nil {
			return nil, fmt.Errorf("mcp-remote-client's tools/list result: %v", err)
		}
		var names []string
		for _, tl := range res.Tools {
			names = append(names, tl.Name)
		}
		slices.Sort(names)
		return names, nil
	}
	return nil, fmt.Errorf("mcp-remote-client printed no tools/list result")
}

// TestMCPRemoteProxy runs `mcp-remote <mcp url>` as a desktop client does:
// as a stdio MCP server, here driven by the Go SDK client. The first run
// signs in (the proxy connects to the gateway before it answers
// initialize); tools/list and tools/call go through it. The second run
// starts after the access token expired, with the same HOME: it must sign
// in with no browser at all, from the refresh token it stored.
func TestMCPRemoteProxy(t *testing.T) {
	nt := needNode(t)
	proxy := nt.bin(t, "mcp-remote", "mcp-remote")
	for _, reg := range testedRegistrations["mcp-remote"] {
		t.Run(reg.subtest(), func(t *testing.T) {
			s := newMCPRemoteSetup(t, reg)
			testMCPRemoteProxy(t, nt, proxy, s)
			checkRegistration(t, s.gw, s.docs)
		})
	}
}

func testMCPRemoteProxy(t *testing.T, nt nodeTools, proxy string, s mcpRemoteSetup) {
	gw := s.gw
	home := t.TempDir()
	args := append([]string{proxy, gw.MCP}, s.args...)

	t.Run("sign-in", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		stderr := newLineLog()
		// The proxy signs in before it answers initialize, so the user's
		// part runs beside Connect. It reports back rather than touching t,
		// which it may outlive if Connect fails.
		type signedIn struct {
			authURL string
			cb      *url.URL
			err     error
		}
		done := make(chan signedIn, 1)
		go func() {
			var at int
			authURL, err := stderr.waitLine(ctx, &at, isAuthorizeURL(gw))
			if err != nil {
				done <- signedIn{err: err}
				return
			}
			cb, err := signIn(gw, authURL)
			done <- signedIn{authURL, cb, err}
		}()
		cs := connectProxy(t, ctx, nt, args, home, stderr)
		si := <-done
		if si.err != nil {
			t.Fatalf("%v\nmcp-remote stderr:\n%s", si.err, stderr.transcript())
		}
		s.checkAuthorizeClient(t, si.authURL)
		checkAuthorizationResponse(t, gw, si.cb)
		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatalf("tools/list: %v\nmcp-remote stderr:\n%s", err, stderr.transcript())
		}
		var names []string
		for _, tl := range res.Tools {
			names = append(names, tl.Name)
		}
		slices.Sort(names)
		if got := strings.Join(names, ","); got != "get_snippet,hello_mcp,save_snippet" {
			t.Errorf("tools/list through mcp-remote = %s", got)
		}
		if got := gwtest.CallText(t, ctx, cs, "save_snippet", map[string]any{"snippetname": "via-proxy", "snippet": "hello through mcp-remote"}); got == "" {
			t.Error("save_snippet returned no text")
		}
		if got := gwtest.CallText(t, ctx, cs, "get_snippet", map[string]any{"snippetname": "via-proxy"}); !strings.Contains(got, "hello through mcp-remote") {
			t.Errorf("get_snippet = %q", got)
		}
		if got := gwtest.CallText(t, ctx, cs, "hello_mcp", nil); !strings.Contains(got, "local:alice") {
			t.Errorf("hello_mcp = %q; the backend did not get the signed-in user", got)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("refresh", func(t *testing.T) {
		before := mcpRemoteTokens(t, home)
		gw.Clock.Advance(time.Duration(gw.Cfg.Tokens.AccessTokenTTL) + time.Minute)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		stderr := newLineLog()
		cs := connectProxy(t, ctx, nt, args, home, stderr)
		if got := gwtest.CallText(t, ctx, cs, "get_snippet", map[string]any{"snippetname": "via-proxy"}); !strings.Contains(got, "hello through mcp-remote") {
			t.Errorf("get_snippet = %q", got)
		}
		var at int
		if stderr.hasLine(&at, isAuthorizeURL(gw)) {
			t.Errorf("mcp-remote asked the user to sign in again instead of refreshing:\n%s", stderr.transcript())
		}
		// The stored access token was still fresh by mcp-remote's own clock,
		// so it was sent, refused (401: expired by the gateway's clock) and
		// replaced by a refresh that also rotated the refresh token.
		after := mcpRemoteTokens(t, home)
		if after.AccessToken == before.AccessToken || after.RefreshToken == "" || after.RefreshToken == before.RefreshToken {
			t.Errorf("after expiry mcp-remote stored: new access token %v, new refresh token %v; want both",
				after.AccessToken != before.AccessToken, after.RefreshToken != "" && after.RefreshToken != before.RefreshToken)
		}
	})
	checkBackendNeverSawClientCredentials(t, gw)
}

// mcpRemoteTokens reads the tokens mcp-remote stored for the one server
// it knows, in $HOME/.mcp-auth/mcp-remote-v1/<server hash>_tokens.json.
func mcpRemoteTokens(t *testing.T, home string) (tok struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(home, ".mcp-auth", "*", "*_tokens.json"))
	if len(files) != 1 {
		t.Fatalf("mcp-remote token files: %v, want exactly one", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("%s: no access token (%v)", files[0], err)
	}
	return tok
}

// connectProxy starts mcp-remote (args: its script, the server URL and
// options) as the Go SDK client's stdio server.
func connectProxy(t *testing.T, ctx context.Context, nt nodeTools, args []string, home string, stderr *lineLog) *mcp.ClientSession {
	t.Helper()
	cmd := exec.CommandContext(ctx, nt.node, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = nt.env(home)
	cmd.Stderr = stderr.writer("stderr")
	cmd.WaitDelay = 5 * time.Second
	client := mcp.NewClient(&mcp.Implementation{Name: "drawbridge-e2e-stdio", Version: "1.0.0"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect to mcp-remote: %v\nmcp-remote stderr:\n%s", err, stderr.transcript())
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// checkAuthorizationResponse: code, state and the RFC 9207 iss are all in
// the response the client's callback received.
func checkAuthorizationResponse(t *testing.T, gw *gwtest.Gateway, cb *url.URL) {
	t.Helper()
	q := cb.Query()
	if q.Get("code") == "" || q.Get("state") == "" || q.Get("iss") != gw.URL {
		t.Errorf("authorization response %s: want code, state and iss=%s", cb.Redacted(), gw.URL)
	}
}
