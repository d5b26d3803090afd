package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/dpop"
	"github.com/drawbridge-mcp/drawbridge/internal/oauth"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/dpoptest"
)

// An attacker holding a DPoP-bound token plays with the spelling of the
// scheme: the scheme is case-insensitive (RFC 9110 §11.1), so every
// spelling of DPoP still needs the proof, and every spelling of Bearer is
// refused for a bound token.
func TestDPoPSchemeSpellings(t *testing.T) {
	c := dpoptest.New(t)
	be := &recorder{}
	gw := dpopGateway(t, c, be, nil)
	for _, s := range []string{"dpop", "DPOP", "DpOp"} {
		resp := send(t, gw, "/mcp", s+" "+boundToken, c.Proof(t, http.MethodPost, gwMCP, dpoptest.Options{Token: boundToken}))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s with its proof: %d, want 200", s, resp.StatusCode)
		}
		wantRefusal(t, send(t, gw, "/mcp", s+" "+boundToken), http.StatusUnauthorized, "DPoP", dpop.CodeInvalidProof, "DPoP", "Bearer")
	}
	for _, s := range []string{"bearer", "BEARER"} {
		wantRefusal(t, send(t, gw, "/mcp", s+" "+boundToken, c.Proof(t, http.MethodPost, gwMCP, dpoptest.Options{Token: boundToken})),
			http.StatusUnauthorized, "Bearer", oauth.ErrInvalidToken, "Bearer", "DPoP")
	}
	if len(be.headers) != 3 {
		t.Errorf("the backend saw %d requests, want the 3 with proofs", len(be.headers))
	}
}

// Two Authorization fields (a bound token with its proof and a bearer
// token) must not let either be picked to suit the attacker: the request
// carries no usable credentials.
func TestDPoPTwoAuthorizationHeaders(t *testing.T) {
	c := dpoptest.New(t)
	be := &recorder{}
	gw := dpopGateway(t, c, be, func(b *Backend) { b.RequireDPoP = true })
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Add("Authorization", "Bearer good")
	req.Header.Add("Authorization", "DPoP "+boundToken)
	req.Header.Set("DPoP", c.Proof(t, http.MethodPost, gwMCP, dpoptest.Options{Token: boundToken}))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(be.headers) != 0 {
		t.Fatalf("%d, backend saw %d requests; want 401 and none", resp.StatusCode, len(be.headers))
	}
}

// On the legacy transport, messages are POSTed to <path>/message: a proof
// made for the stream's URL (or for another server) is not one for the
// message path, whose htu is the resource URL followed by /message.
func TestDPoPLegacyMessagePathHTU(t *testing.T) {
	c := dpoptest.New(t)
	gw := dpopGateway(t, c, legacyBackend(), func(s *Backend) {
		s.Transport = TransportSSE
		s.Path = "/legacy/sse"
		s.Resource = "https://gw.example/legacy/sse"
	})
	const path = "/legacy/sse/message?session=nope"
	for name, htu := range map[string]string{
		"the stream's URL":        "https://gw.example/legacy/sse",
		"another server's":        "https://gw.example/mcp/message",
		"an encoded slash":        "https://gw.example/legacy/sse%2Fmessage",
		"the message path of /mc": "https://gw.example/legacy/message",
	} {
		t.Run(name, func(t *testing.T) {
			p := c.Proof(t, http.MethodPost, htu, dpoptest.Options{Token: boundToken})
			wantRefusal(t, send(t, gw, path, "DPoP "+boundToken, p), http.StatusUnauthorized, "DPoP", dpop.CodeInvalidProof, "DPoP", "Bearer")
		})
	}
	t.Run("the message path's own URL passes the proof check", func(t *testing.T) {
		p := c.Proof(t, http.MethodPost, "https://gw.example/legacy/sse/message?session=other", dpoptest.Options{Token: boundToken})
		resp := send(t, gw, path, "DPoP "+boundToken, p)
		if resp.StatusCode == http.StatusUnauthorized {
			t.Fatalf("%d %q: a proof for the message path was refused", resp.StatusCode, resp.Header.Values("WWW-Authenticate"))
		}
	})
}
