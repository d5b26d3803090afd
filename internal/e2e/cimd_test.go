package e2e

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/testutil/gwtest"
)

// The clients that can identify themselves with a client ID metadata
// document (CIMD: the client_id is an https URL serving the client's
// metadata) do so whenever the authorization server advertises
// client_id_metadata_document_supported, and register dynamically (DCR)
// otherwise. MCP's authorization spec asks clients to prefer CIMD, so each
// such client's main test uses it, and a DCR variant keeps that path
// covered too.

// docServer publishes client ID metadata documents over TLS on loopback,
// where a real client would host its document on its own web site.
type docServer struct {
	*httptest.Server

	mu      sync.Mutex
	docs    map[string]map[string]any // by path
	fetches int
}

func startDocServer(t *testing.T) *docServer {
	t.Helper()
	d := &docServer{docs: map[string]map[string]any{}}
	d.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		doc, ok := d.docs[r.URL.Path]
		d.fetches++
		d.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(d.Close)
	return d
}

// url is the client_id of the document at path, which may be published
// later: a client is told its URL before it starts, and the document
// lists the redirect URI the client reports once it listens.
func (d *docServer) url(path string) string { return d.URL + path }

// publish serves a public native client's document at path (with the
// client_id it must carry) and returns the client_id.
func (d *docServer) publish(path, name string, redirectURIs ...string) string {
	id := d.url(path)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.docs[path] = map[string]any{
		"client_id":                  id,
		"client_name":                name,
		"redirect_uris":              redirectURIs,
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": "none",
	}
	return id
}

func (d *docServer) fetched() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fetches
}

// startCIMDGateway starts a gateway that trusts the document server's
// test certificate and may fetch documents from loopback, which its SSRF
// defences otherwise refuse.
func startCIMDGateway(t *testing.T) (*gwtest.Gateway, *docServer) {
	t.Helper()
	docs := startDocServer(t)
	gw := gwtest.Start(t, gwtest.Options{
		ExtraYAML:       "registration: {metadata_documents: {allow_private_networks: true}}\n",
		MetadataRootCAs: docs.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
	})
	return gw, docs
}

// registerRequests counts the requests that reached the gateway's dynamic
// registration endpoint (its access log line) and the registrations it
// made. The DCR variants require both to be 1, which also proves that
// this way of counting still works for the CIMD variants that require 0.
func registerRequests(gw *gwtest.Gateway) (requests, registered int) {
	for _, l := range strings.Split(gw.Logs.String(), "\n") {
		if strings.Contains(l, "msg=request ") && strings.Contains(l, " path=/register ") {
			requests++
		}
		if strings.Contains(l, `msg="client registered"`) {
			registered++
		}
	}
	return requests, registered
}

// checkRegistration checks how the client got its client_id: with a
// metadata document (docs set) no registration request was made and the
// gateway fetched the document; without, exactly one dynamic registration.
func checkRegistration(t *testing.T, gw *gwtest.Gateway, docs *docServer) {
	t.Helper()
	requests, registered := registerRequests(gw)
	if docs != nil {
		if requests != 0 || registered != 0 {
			t.Errorf("%d requests to /register and %d registrations; a client with a metadata document must not register", requests, registered)
		}
		if docs.fetched() == 0 {
			t.Error("the gateway never fetched the client's metadata document")
		}
		return
	}
	if requests != 1 || registered != 1 {
		t.Errorf("%d requests to /register and %d registrations, want 1 dynamic registration", requests, registered)
	}
}
