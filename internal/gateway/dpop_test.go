package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/dpoptest"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

const (
	boundToken = "bound-token-0123456789abcdefghijklmnop"
	gwMCP      = "https://gw.example/mcp"
)

// boundVerifier answers like fakeVerifier, and for boundToken with claims
// bound to jkt.
type boundVerifier struct{ jkt string }

func (v boundVerifier) Verify(ctx context.Context, raw, aud string) (*tokens.AccessClaims, error) {
	if raw == boundToken {
		return &tokens.AccessClaims{Subject: "alice", ClientID: "c1", Scope: "mcp", Audience: aud, GrantID: "g-bound",
			Confirmation: &tokens.Confirmation{JKT: v.jkt}}, nil
	}
	return fakeVerifier{}.Verify(ctx, raw, aud)
}

// dpopGateway is a test gateway whose boundToken is bound to c's key.
func dpopGateway(t *testing.T, c *dpoptest.Client, be http.Handler, mod func(*Backend)) *httptest.Server {
	return newTestGatewayOpts(t, be, mod, func(o *Options) { o.Verifier = boundVerifier{jkt: c.JKT(t)} })
}

// send POSTs to the gateway's /mcp with the given Authorization and DPoP
// header values.
func send(t *testing.T, gw *httptest.Server, path, authz string, proofs ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, gw.URL+path, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	tr := &http.Transport{}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close(); tr.CloseIdleConnections() })
	return resp
}

// wantRefusal checks a refusal: status, the error in the JSON body and in
// the first challenge, whose scheme is given, and the challenges offered.
func wantRefusal(t *testing.T, resp *http.Response, status int, scheme, code string, schemes ...string) {
	t.Helper()
	b, _ := io.ReadAll(resp.Body)
	var e oauth.Error
	_ = json.Unmarshal(b, &e)
	chs := resp.Header.Values("WWW-Authenticate")
	if resp.StatusCode != status || e.Code != code {
		t.Fatalf("%d %s, want %d %s", resp.StatusCode, b, status, code)
	}
	if len(chs) != len(schemes) {
		t.Fatalf("challenges %q, want schemes %v", chs, schemes)
	}
	for i, s := range schemes {
		if !strings.HasPrefix(chs[i], s+" ") {
			t.Errorf("challenge %d %q, want scheme %s", i, chs[i], s)
		}
		if s == "DPoP" && !strings.Contains(chs[i], `algs="ES256 ES384 RS256 PS256 EdDSA"`) {
			t.Errorf("DPoP challenge %q lacks algs", chs[i])
		}
	}
	if !strings.HasPrefix(chs[0], scheme+" ") || !strings.Contains(chs[0], `error="`+code+`"`) {
		t.Errorf("first challenge %q, want %s with error %s", chs[0], scheme, code)
	}
}

func TestDPoPBoundTokenWithProof(t *testing.T) {
	c := dpoptest.New(t)
	be := &recorder{}
	gw := dpopGateway(t, c, be, nil)
	proof := c.Proof(t, http.MethodPost, gwMCP, dpoptest.Options{Token: boundToken})
	resp := send(t, gw, "/mcp", "DPoP "+boundToken, proof)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	// RS5: neither the token nor the proof reaches the backend.
	h := be.headers[0]
	if h.Get("DPoP") != "" {
		t.Error("the DPoP proof reached the backend")
	}
	for name, vs := range h {
		for _, v := range vs {
			if strings.Contains(v, boundToken) || strings.Contains(v, proof) {
				t.Errorf("the client's credentials reached the backend in %s", name)
			}
		}
	}
	// The same proof again is a replay.
	wantRefusal(t, send(t, gw, "/mcp", "DPoP "+boundToken, proof), http.StatusUnauthorized, "DPoP", dpop.CodeInvalidProof, "DPoP", "Bearer")
}

func TestDPoPRefusals(t *testing.T) {
	c := dpoptest.New(t)
	other := dpoptest.New(t)
	gw := dpopGateway(t, c, &recorder{}, nil)
	p := func(method, u string, o dpoptest.Options) string {
		if o.Token == "" && o.Ath == "" {
			o.Token = boundToken
		}
		return c.Proof(t, method, u, o)
	}
	for name, tc := range map[string]struct {
		authz  string
		proofs []string
		status int
		scheme string
		code   string
	}{
		"bound token sent as Bearer":     {"Bearer " + boundToken, []string{p("POST", gwMCP, dpoptest.Options{})}, 401, "Bearer", oauth.ErrInvalidToken},
		"no proof":                       {"DPoP " + boundToken, nil, 401, "DPoP", dpop.CodeInvalidProof},
		"two proofs":                     {"DPoP " + boundToken, []string{p("POST", gwMCP, dpoptest.Options{}), p("POST", gwMCP, dpoptest.Options{})}, 401, "DPoP", dpop.CodeInvalidProof},
		"wrong htu":                      {"DPoP " + boundToken, []string{p("POST", "https://gw.example/other", dpoptest.Options{})}, 401, "DPoP", dpop.CodeInvalidProof},
		"htu of the token endpoint":      {"DPoP " + boundToken, []string{p("POST", "https://gw.example/token", dpoptest.Options{})}, 401, "DPoP", dpop.CodeInvalidProof},
		"wrong htm":                      {"DPoP " + boundToken, []string{p("GET", gwMCP, dpoptest.Options{})}, 401, "DPoP", dpop.CodeInvalidProof},
		"no ath":                         {"DPoP " + boundToken, []string{p("POST", gwMCP, dpoptest.Options{Ath: "-"})}, 401, "DPoP", dpop.CodeInvalidProof},
		"ath of another token":           {"DPoP " + boundToken, []string{p("POST", gwMCP, dpoptest.Options{Token: "good"})}, 401, "DPoP", dpop.CodeInvalidProof},
		"stale iat":                      {"DPoP " + boundToken, []string{p("POST", gwMCP, dpoptest.Options{IssuedAt: time.Now().Add(-2 * time.Minute)})}, 401, "DPoP", dpop.CodeInvalidProof},
		"proof of another key":           {"DPoP " + boundToken, []string{other.Proof(t, "POST", gwMCP, dpoptest.Options{Token: boundToken})}, 401, "DPoP", oauth.ErrInvalidToken},
		"unbound token with DPoP":        {"DPoP good", []string{p("POST", gwMCP, dpoptest.Options{Token: "good"})}, 401, "DPoP", oauth.ErrInvalidToken},
		"forged token with a good proof": {"DPoP forged", []string{p("POST", gwMCP, dpoptest.Options{Token: "forged"})}, 401, "DPoP", oauth.ErrInvalidToken},
	} {
		t.Run(name, func(t *testing.T) {
			schemes := []string{"Bearer", "DPoP"}
			if tc.scheme == "DPoP" {
				schemes = []string{"DPoP", "Bearer"}
			}
			wantRefusal(t, send(t, gw, "/mcp", tc.authz, tc.proofs...), tc.status, tc.scheme, tc.code, schemes...)
		})
	}
	t.Run("bearer tokens work as before", func(t *testing.T) {
		if resp := send(t, gw, "/mcp", "Bearer good"); resp.StatusCode != http.StatusOK {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
	t.Run("no token offers both schemes", func(t *testing.T) {
		resp := send(t, gw, "/mcp", "")
		chs := resp.Header.Values("WWW-Authenticate")
		if resp.StatusCode != 401 || len(chs) != 2 || !strings.HasPrefix(chs[0], "Bearer ") || !strings.HasPrefix(chs[1], "DPoP ") || strings.Contains(chs[0]+chs[1], "error=") {
			t.Fatalf("%d %q", resp.StatusCode, chs)
		}
	})
}

func TestRequireDPoP(t *testing.T) {
	c := dpoptest.New(t)
	gw := dpopGateway(t, c, &recorder{}, func(b *Backend) { b.RequireDPoP = true })
	wantRefusal(t, send(t, gw, "/mcp", "Bearer good"), http.StatusUnauthorized, "DPoP", oauth.ErrInvalidToken, "DPoP")
	resp := send(t, gw, "/mcp", "")
	if chs := resp.Header.Values("WWW-Authenticate"); resp.StatusCode != 401 || len(chs) != 1 || !strings.HasPrefix(chs[0], "DPoP ") {
		t.Fatalf("no token: %d %q, want one DPoP challenge", resp.StatusCode, chs)
	}
	if resp := send(t, gw, "/mcp", "DPoP "+boundToken, c.Proof(t, "POST", gwMCP, dpoptest.Options{Token: boundToken})); resp.StatusCode != http.StatusOK {
		t.Fatalf("bound token with proof: %d", resp.StatusCode)
	}
	resp = do(t, http.MethodGet, gw.URL+"/.well-known/oauth-protected-resource/mcp", "", nil)
	var prm oauth.ProtectedResourceMetadata
	if err := json.NewDecoder(resp.Body).Decode(&prm); err != nil || !prm.DPoPBoundAccessTokensRequired {
		t.Errorf("PRM dpop_bound_access_tokens_required = %v (%v), want true", prm.DPoPBoundAccessTokensRequired, err)
	}
}
