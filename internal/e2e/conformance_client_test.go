package e2e

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// Drawbridge is an OAuth client in two places: of the identity provider it
// signs users in with (OpenID Connect), and of the authorization server of
// a backend whose auth mode is client_credentials (docs/backends.md). The
// suite's client scenarios test MCP clients; two of them, the
// client-credentials extension (SEP-1046), test the same grant the second
// place makes, so they run here with Drawbridge as the client. What the
// rest cannot test, and why, is in docs/conformance.md.
//
// A client scenario starts an MCP server that only accepts tokens from the
// scenario's own authorization server and runs "the client" with the
// server's URL. Here that is testdata/conformance-client.mjs, which hands
// the URL and the scenario's credentials to the test; the test configures a
// gateway whose backend is that server, with auth mode client_credentials,
// and calls a tool through it. Drawbridge then asks the scenario's
// authorization server for a token and calls the server with it, which is
// what the suite checks.
//
// Drawbridge is configured with a token_url, not a discovery URL, so the
// test does the operator's part first: it reads the server's protected
// resource metadata (RFC 9728) and its authorization server's metadata
// (RFC 8414) to find the token endpoint. The suite records those two
// requests as passing checks; docs/conformance.md says whose they are.

// conformanceClientRun names the client role's run in the scorecard.
const conformanceClientRun = "backend-client-credentials"

// conformanceClientWire is the protocol revision the client scenarios run
// at, the suite's default for scenarios on no revision's timeline
// (MCP_CONFORMANCE_PROTOCOL_VERSION); its requirement set labels them. The
// grant does not depend on it.
const conformanceClientWire = "2025-11-25"

// conformanceClientScenarios are the client scenarios that test a grant
// Drawbridge makes, each with the backend auth configuration that makes
// it from the scenario's credentials.
var conformanceClientScenarios = []struct {
	scenario string
	auth     func(t *testing.T, tokenURL string, creds map[string]string) string
}{
	{"auth/client-credentials-basic", func(t *testing.T, tokenURL string, creds map[string]string) string {
		// Drawbridge sends a secret with HTTP Basic (RFC 6749, section 2.3.1).
		return fmt.Sprintf("{mode: client_credentials, token_url: %q, client_id: %q, client_secret: %q}",
			tokenURL, creds["client_id"], creds["client_secret"])
	}},
	{"auth/client-credentials-jwt", func(t *testing.T, tokenURL string, creds map[string]string) string {
		// private_key_jwt (RFC 7523): Drawbridge takes the key with a
		// certificate, as Entra ID registers it; the scenario gives a bare
		// key, so the test wraps it in a self-signed one.
		cert, key := selfSignedCertificate(t, creds["private_key_pem"])
		return fmt.Sprintf("{mode: client_credentials, token_url: %q, client_id: %q, client_certificate: {cert_file: %q, key_file: %q}}",
			tokenURL, creds["client_id"], cert, key)
	}},
}

// conformanceClient runs each client scenario with Drawbridge as the
// client. The checks go to the scorecard, which needs an explanation for
// each that does not pass; the MCP call the test makes through the gateway
// is not itself asserted, because the suite's checks already say whether
// the backend received a valid token.
func conformanceClient(t *testing.T, nt nodeTools, sc *scorecard) {
	cli := nt.bin(t, "@modelcontextprotocol/conformance", "conformance")
	reqs := readRequirementSet(t, nt, conformanceClientWire)
	var all []conformanceCheck
	ran := 0
	for _, s := range conformanceClientScenarios {
		t.Run(path.Base(s.scenario), func(t *testing.T) {
			all = append(all, runConformanceClient(t, nt, cli, s.scenario, s.auth)...)
			ran++
		})
	}
	if ran == len(conformanceClientScenarios) {
		sc.record(t, newScoreRun(roleClient, conformanceClientRun, targetDrawbridge, "", onceEach(all), reqs.scored("client")))
	}
}

// onceEach keeps one of each check with each status. A client scenario
// reports a check per request the client makes, and how many requests that
// is depends on the MCP client's retries, not on Drawbridge's grant.
func onceEach(checks []conformanceCheck) []conformanceCheck {
	seen := map[string]bool{}
	var out []conformanceCheck
	for _, c := range checks {
		if k := c.key() + " " + c.Status; !seen[k] {
			seen[k] = true
			out = append(out, c)
		}
	}
	return out
}

// clientHandoff is what testdata/conformance-client.mjs posts: the
// scenario's MCP server and credentials.
type clientHandoff struct {
	ServerURL string `json:"server_url"`
	Scenario  string `json:"scenario"`
	Context   string `json:"context"`
	reply     chan error
}

func runConformanceClient(t *testing.T, nt nodeTools, cli, scenario string,
	auth func(*testing.T, string, map[string]string) string) []conformanceCheck {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	handoffs := make(chan clientHandoff)
	hs := httptest.NewServer(handoffHandler(handoffs))
	t.Cleanup(hs.Close)

	dir := scriptDir(t, nt, "conformance-client.mjs")
	// The suite splits --command at spaces.
	command := nt.node + " " + filepath.Join(dir, "conformance-client.mjs")
	if strings.Count(command, " ") != 1 {
		t.Fatalf("the suite cannot run a command whose paths hold spaces: %q", command)
	}
	out := t.TempDir()
	env := append(nt.env(t.TempDir()), "DRAWBRIDGE_CONFORMANCE_HANDOFF="+hs.URL)
	// Extension scenarios are on no revision's timeline, so no
	// --spec-version: the suite runs them at its default.
	p := startNode(t, ctx, nt, dir, env, cli, "client", "--command", command, "--scenario", scenario, "--output-dir", out)
	ended := make(chan error, 1)
	go func() { ended <- p.wait(ctx) }()

	select {
	case h := <-handoffs:
		playClient(t, ctx, h, auth)
	case err := <-ended:
		t.Fatalf("the suite ended (%v) before running the client\n%s", err, p.transcript())
	case <-ctx.Done():
		t.Fatalf("the suite did not run the client\n%s", p.transcript())
	}
	// The exit status says whether every check passed; the checks are
	// what the scorecard keeps.
	if err := <-ended; ctx.Err() != nil {
		t.Fatalf("conformance client --scenario %s: %v\n%s", scenario, err, p.transcript())
	}
	checks, err := readChecks(out, func(base string) (string, error) {
		if !strings.HasPrefix(base, path.Base(scenario)+"-") {
			return "", errors.New("not the result directory of " + scenario + ": " + base)
		}
		return scenario, nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, p.transcript())
	}
	return checks
}

// handoffHandler passes each handoff to the test and answers with the
// test's verdict once it has one.
func handoffHandler(handoffs chan<- clientHandoff) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := clientHandoff{reply: make(chan error, 1)}
		if err := json.NewDecoder(r.Body).Decode(&h); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case handoffs <- h:
		case <-r.Context().Done():
			return
		}
		select {
		case err := <-h.reply:
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			_, _ = w.Write([]byte("called the scenario's tool through Drawbridge\n"))
		case <-r.Context().Done():
		}
	})
}

// playClient does the operator's and the MCP client's parts of a scenario:
// it finds the token endpoint, starts a gateway whose backend is the
// scenario's server, and calls the server's tool through it. Whatever
// happens, the script gets a verdict, so that it never waits for the
// suite's timeout.
func playClient(t *testing.T, ctx context.Context, h clientHandoff, auth func(*testing.T, string, map[string]string) string) {
	var err error
	defer func() { h.reply <- err }()
	var creds map[string]string
	if err = json.Unmarshal([]byte(h.Context), &creds); err != nil {
		t.Fatalf("MCP_CONFORMANCE_CONTEXT: %v", err)
	}
	var tokenURL string
	if tokenURL, err = discoverTokenEndpoint(ctx, h.ServerURL); err != nil {
		t.Fatal(err)
	}
	const mcpPath, scope = "/upstream/mcp", "upstream"
	gw := gwtest.Start(t, gwtest.Options{ExtraYAML: fmt.Sprintf("  - {name: upstream, path: %s, upstream: %q, scopes: [%s], auth: %s}\n",
		mcpPath, h.ServerURL, scope, auth(t, tokenURL, creds))})
	endpoint := gw.URL + mcpPath
	tok := accessToken(t, gw, endpoint, scope)
	if err = callTool(ctx, endpoint, tok); err != nil {
		t.Logf("%s: the call through Drawbridge failed: %v", h.Scenario, err)
	}
}

// discoverTokenEndpoint finds the token endpoint of the authorization
// server that protects the MCP server at resource: its protected resource
// metadata at the path-inserted well-known URL (RFC 9728, section 3.1),
// then the authorization server's metadata (RFC 8414, section 3).
func discoverTokenEndpoint(ctx context.Context, resource string) (string, error) {
	u, err := urlWithPath(resource, "/.well-known/oauth-protected-resource")
	if err != nil {
		return "", err
	}
	prm, err := oauthex.GetProtectedResourceMetadata(ctx, u, resource, http.DefaultClient)
	if err != nil {
		return "", err
	}
	if len(prm.AuthorizationServers) == 0 {
		return "", errors.New("the protected resource metadata names no authorization server")
	}
	issuer := prm.AuthorizationServers[0]
	u, err = urlWithPath(issuer, "/.well-known/oauth-authorization-server")
	if err != nil {
		return "", err
	}
	meta, err := oauthex.GetAuthServerMeta(ctx, u, issuer, http.DefaultClient)
	if err != nil {
		return "", err
	}
	return meta.TokenEndpoint, nil
}

// urlWithPath inserts a well-known path before raw's own path.
func urlWithPath(raw, wellKnown string) (string, error) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return "", fmt.Errorf("not an absolute URL: %s", raw)
	}
	host, rest, _ := strings.Cut(raw[i+3:], "/")
	if rest != "" {
		rest = "/" + rest
	}
	return raw[:i+3] + host + wellKnown + rest, nil
}

// callTool lists the tools at endpoint with the Go SDK client and calls the
// first.
func callTool(ctx context.Context, endpoint, token string) error {
	hc := &http.Client{Transport: bearerRoundTripper{token: token, base: http.DefaultTransport}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "drawbridge-conformance", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: endpoint, HTTPClient: hc}, nil)
	if err != nil {
		return err
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		return err
	}
	if len(tools.Tools) == 0 {
		return errors.New("the server lists no tools")
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tools.Tools[0].Name})
	if err == nil && res.IsError {
		err = fmt.Errorf("tool %s returned an error", tools.Tools[0].Name)
	}
	return err
}

type bearerRoundTripper struct {
	token string
	base  http.RoundTripper
}

func (b bearerRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

// selfSignedCertificate writes keyPEM and a self-signed certificate for it
// to files and returns their paths.
func selfSignedCertificate(t *testing.T, keyPEM string) (certFile, keyFile string) {
	t.Helper()
	b, _ := pem.Decode([]byte(keyPEM))
	if b == nil {
		t.Fatal("the scenario's private_key_pem holds no PEM block")
	}
	key, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatalf("the scenario's private key: %v", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		t.Fatalf("the scenario's private key is a %T", key)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "conformance-test-client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, []byte(keyPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
