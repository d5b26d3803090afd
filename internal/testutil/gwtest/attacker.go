package gwtest

import (
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// DocServer serves client ID metadata documents over TLS, as a client
// (or an attacker) publishes them, and counts the requests for each.
type DocServer struct {
	*httptest.Server
	mu   sync.Mutex
	docs map[string]map[string]any
	hits map[string]int
}

// StartDocServer runs a DocServer on 127.0.0.1 until the test ends.
func StartDocServer(t testing.TB) *DocServer {
	t.Helper()
	d := StartDocServerOn(t, "127.0.0.1:0")
	if d == nil {
		t.Fatal("cannot listen on 127.0.0.1")
	}
	return d
}

// StartDocServerOn listens on addr ("[::1]:0" gives a second host); nil
// when it cannot.
func StartDocServerOn(t testing.TB, addr string) *DocServer {
	t.Helper()
	d := &DocServer{docs: map[string]map[string]any{}, hits: map[string]int{}}
	d.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		doc, ok := d.docs[r.URL.Path]
		d.hits[r.URL.Path]++
		d.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Logf("cannot listen on %s: %v", addr, err)
		return nil
	}
	d.Listener.Close()
	d.Listener = ln
	d.StartTLS()
	t.Cleanup(d.Close)
	return d
}

// Fetches counts the requests for path.
func (d *DocServer) Fetches(path string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hits[path]
}

// Publish serves doc at path and returns its URL, the client id; doc's
// client_id is set to it unless doc has one.
func (d *DocServer) Publish(path string, doc map[string]any) string {
	id := d.URL + path
	if _, ok := doc["client_id"]; !ok {
		doc["client_id"] = id
	}
	d.mu.Lock()
	d.docs[path] = doc
	d.mu.Unlock()
	return id
}

// RootCAs trusts the DocServer's certificate (Options.MetadataRootCAs).
func (d *DocServer) RootCAs() *x509.CertPool {
	return d.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
}

// MetadataDocumentsYAML lets a gateway fetch documents from a DocServer on
// loopback.
const MetadataDocumentsYAML = "registration: {metadata_documents: {allow_private_networks: true}}\n"

// StartWithDocuments runs a gateway that accepts metadata documents from
// the DocServer it returns.
func StartWithDocuments(t testing.TB, opt Options) (*Gateway, *DocServer) {
	t.Helper()
	docs := StartDocServer(t)
	opt.ExtraYAML = MetadataDocumentsYAML + opt.ExtraYAML
	opt.MetadataRootCAs = docs.RootCAs()
	return Start(t, opt), docs
}

// FromAddress is a transport that sends requests as if from a client
// address: a gateway that trusts the loopback peer (trusted_proxies:
// [127.0.0.1]) believes the X-Forwarded-For entry it adds.
type FromAddress struct {
	mu   sync.Mutex
	addr string
}

// NewFromAddress sends as addr ("" adds nothing).
func NewFromAddress(addr string) *FromAddress { return &FromAddress{addr: addr} }

// Set changes the address.
func (f *FromAddress) Set(addr string) {
	f.mu.Lock()
	f.addr = addr
	f.mu.Unlock()
}

// RoundTrip implements http.RoundTripper.
func (f *FromAddress) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	addr := f.addr
	f.mu.Unlock()
	r = r.Clone(r.Context())
	if addr != "" {
		r.Header.Set("X-Forwarded-For", addr)
	}
	return http.DefaultTransport.RoundTrip(r)
}
