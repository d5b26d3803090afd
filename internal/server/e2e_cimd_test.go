package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/browser"
	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

func startCIMD(t *testing.T) (*gwtest.Gateway, *gwtest.DocServer) {
	return gwtest.StartWithDocuments(t, gwtest.Options{})
}

// TestGoSDKClientWithMetadataDocument: the client's id is the URL of its
// metadata document; no registration request is made.
func TestGoSDKClientWithMetadataDocument(t *testing.T) {
	gw, docs := startCIMD(t)
	const redirect = "http://127.0.0.1:43229/callback"
	id := docs.Publish("/oauth/client.json", map[string]any{
		"client_name": "CIMD test client", "redirect_uris": []string{redirect},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"},
	})
	br := browser.New(gw.URL)
	var consent string
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		ClientIDMetadataDocumentConfig: &auth.ClientIDMetadataDocumentConfig{URL: id},
		RedirectURL:                    redirect,
		AuthorizationCodeFetcher: func(ctx context.Context, a *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
			p, err := br.Get(a.URL)
			if err != nil || p.Path() != "/login" {
				return nil, fmt.Errorf("login page: %v", err)
			}
			f := p.HiddenFields()
			f.Set("username", gwtest.User)
			f.Set("password", gwtest.Password)
			if p, err = br.Submit(p, "/login", f); err != nil {
				return nil, err
			}
			consent = p.Body
			if p, err = br.Consent(p, true); err != nil || p.Callback == nil {
				return nil, fmt.Errorf("consent: %v", err)
			}
			q := p.Callback.Query()
			return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "cimd", Version: "1"}, nil).Connect(ctx, &mcp.StreamableClientTransport{Endpoint: gw.MCP, OAuthHandler: h}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer cs.Close()
	if got := gwtest.CallText(t, ctx, cs, "hello_mcp", nil); !strings.Contains(got, "local:alice") {
		t.Errorf("hello_mcp = %q", got)
	}
	host := strings.TrimPrefix(docs.URL, "https://")
	if !strings.Contains(consent, "CIMD test client") || !strings.Contains(consent, host) || !strings.Contains(consent, "only return you to this computer") {
		t.Errorf("consent page lacks the name, publishing host or loopback warning:\n%s", consent)
	}
	if strings.Contains(gw.Logs.String(), "client registered") {
		t.Error("the client registered dynamically instead of using its document")
	}
}

func TestMetadataDocumentRejections(t *testing.T) {
	gw, docs := startCIMD(t)
	good := map[string]any{"client_name": "x", "redirect_uris": []string{gwtest.Redirect}, "token_endpoint_auth_method": "none"}
	cases := map[string]string{
		"id mismatch":   docs.Publish("/mismatch.json", map[string]any{"client_id": docs.URL + "/other.json", "client_name": "x", "redirect_uris": []string{gwtest.Redirect}}),
		"no name":       docs.Publish("/noname.json", map[string]any{"redirect_uris": []string{gwtest.Redirect}}),
		"secret method": docs.Publish("/secret.json", map[string]any{"client_name": "x", "redirect_uris": []string{gwtest.Redirect}, "token_endpoint_auth_method": "client_secret_basic"}),
		"missing":       docs.URL + "/missing.json",
	}
	for name, id := range cases {
		c := &gwtest.Client{GW: gw, ID: id, Redirect: gwtest.Redirect, Browser: browser.New(gw.URL)}
		p, err := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
		if err != nil {
			t.Fatal(err)
		}
		if p.Callback != nil || p.Resp.StatusCode != 400 || !p.Has("client metadata document") {
			t.Errorf("%s: status %d, redirect %v", name, p.Resp.StatusCode, p.Callback)
		}
	}
	// A redirect URI the document does not list is refused too.
	id := docs.Publish("/good.json", good)
	c := &gwtest.Client{GW: gw, ID: id, Redirect: "http://127.0.0.1:43211/elsewhere", Browser: browser.New(gw.URL)}
	if p, _ := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil)); p.Callback != nil || p.Resp.StatusCode != 400 {
		t.Errorf("unlisted redirect: %d %v", p.Resp.StatusCode, p.Callback)
	}
	// Advertised.
	resp, err := http.Get(gw.URL + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if md := gwtest.DecodeBody(t, resp); md["client_id_metadata_document_supported"] != true {
		t.Errorf("metadata: %v", md)
	}
}

// TestMetadataDocumentHostLimit: clients presenting many client_id URLs on
// one host cannot make Drawbridge fetch from it without bound: over the
// per-host budget, /authorize shows an error page and /token answers
// invalid_client, both saying the document could not be fetched now; the
// budget comes back with the window.
func TestMetadataDocumentHostLimit(t *testing.T) {
	docs := gwtest.StartDocServer(t)
	gw := gwtest.Start(t, gwtest.Options{
		ExtraYAML:       "registration: {metadata_documents: {allow_private_networks: true, host_fetches: 2, host_window: 1m}}\n",
		MetadataRootCAs: docs.RootCAs(),
	})
	doc := func() map[string]any {
		return map[string]any{"client_name": "x", "redirect_uris": []string{gwtest.Redirect}, "token_endpoint_auth_method": "none"}
	}
	ids := []string{docs.Publish("/a.json", doc()), docs.Publish("/b.json", doc()), docs.Publish("/c.json", doc())}
	authorize := func(id string) *browser.Page {
		t.Helper()
		c := &gwtest.Client{GW: gw, ID: id, Redirect: gwtest.Redirect, Browser: browser.New(gw.URL)}
		p, err := c.Browser.Get(c.AuthorizeURL(gwtest.NewVerifier(), nil))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, id := range ids[:2] {
		if p := authorize(id); p.Path() != "/login" {
			t.Fatalf("%s: at %s (%d), want the sign-in form", id, p.Path(), p.Resp.StatusCode)
		}
	}
	if p := authorize(ids[2]); p.Resp.StatusCode != http.StatusBadRequest || p.Callback != nil || !p.Has("could not be fetched now") {
		t.Errorf("over the host's budget at /authorize: %d, redirect %v", p.Resp.StatusCode, p.Callback)
	}
	c := &gwtest.Client{GW: gw, ID: ids[2], Redirect: gwtest.Redirect}
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/token", strings.NewReader("grant_type=authorization_code&code=x&code_verifier=y&client_id="+ids[2]))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body := gwtest.DecodeBody(t, resp)
	resp.Body.Close()
	if desc, _ := body["error_description"].(string); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" || !strings.Contains(desc, "could not be fetched now") {
		t.Errorf("over the host's budget at /token: %d %v", resp.StatusCode, body)
	}
	// Cached documents of the host still work, and the window passes.
	if p := authorize(ids[0]); p.Path() != "/login" {
		t.Errorf("a cached document: at %s (%d)", p.Path(), p.Resp.StatusCode)
	}
	gw.Clock.Advance(time.Minute)
	if p := authorize(c.ID); p.Path() != "/login" {
		t.Errorf("after the window: at %s (%d)", p.Path(), p.Resp.StatusCode)
	}
}
