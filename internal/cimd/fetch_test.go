package cimd

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFetchValid(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "HTTP/1.1", true: "HTTP/2"}[h2], func(t *testing.T) {
			var got *http.Request
			srv := startServer(t, h2, func(w http.ResponseWriter, r *http.Request) {
				got = r.Clone(context.Background())
				http.SetCookie(w, &http.Cookie{Name: "track", Value: "1"})
				serveDoc(t, nil)(w, r)
			})
			f, clock, _ := newTestFetcher(t, srv, nil)
			id := srv.id("client.example.com", "/oauth/client.json")
			d, err := f.Fetch(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if d.ClientID != id || d.ClientName != "Example MCP Client" || !d.OnlyLoopbackRedirects {
				t.Errorf("document = %+v", d)
			}
			if !d.FetchedAt.Equal(clock.Now()) || !d.ExpiresAt.Equal(clock.Now().Add(10*time.Minute)) {
				t.Errorf("FetchedAt %v ExpiresAt %v; want now and now+10m (no cache headers)", d.FetchedAt, d.ExpiresAt)
			}
			if ua := got.Header.Get("User-Agent"); ua != DefaultUserAgent {
				t.Errorf("User-Agent = %q", ua)
			}
			if a := got.Header.Get("Accept"); a != "application/json" {
				t.Errorf("Accept = %q", a)
			}
			if wantMajor := map[bool]int{false: 1, true: 2}[h2]; got.ProtoMajor != wantMajor {
				t.Errorf("protocol %s, want HTTP/%d", got.Proto, wantMajor)
			}
			f.Forget(id)
			if _, err := f.Fetch(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			if c := got.Header.Get("Cookie"); c != "" {
				t.Errorf("a cookie was sent back: %q", c)
			}
			if n := srv.hits.Load(); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

func TestFetchMediaTypes(t *testing.T) {
	for _, tt := range []struct {
		ct string
		ok bool
	}{
		{"application/json", true},
		{"application/json; charset=utf-8", true},
		{"Application/JSON", true},
		{"application/vnd.example.client+json", true},
		{"text/html", false},
		{"text/plain", false},
		{"text/json", false},
		{"application/javascript", false},
		{"application/jsonp", false},
		{"", false},
		{"application/json; charset", false},
	} {
		srv := startServer(t, false, func(w http.ResponseWriter, r *http.Request) {
			serveDoc(t, nil)(w, r)
		})
		srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = []string{tt.ct}
			_, _ = w.Write(docJSON(t, map[string]any{"client_id": requestURL(r)}))
		})
		f, _, _ := newTestFetcher(t, srv, nil)
		_, err := f.Fetch(context.Background(), srv.id("client.example.com", "/c.json"))
		if (err == nil) != tt.ok {
			t.Errorf("Content-Type %q: err = %v, want ok=%v", tt.ct, err, tt.ok)
		}
		if err != nil {
			wantKind(t, err, KindFetch)
		}
	}
}

// TestFetchInvalidDocuments runs the main refusals through the network path.
func TestFetchInvalidDocuments(t *testing.T) {
	tests := []struct {
		name  string
		edits map[string]any
	}{
		{"client_id mismatch", map[string]any{"client_id": "https://other.example.com/oauth/client.json"}},
		{"client_name missing", map[string]any{"client_name": nil}},
		{"redirect_uris missing", map[string]any{"redirect_uris": nil}},
		{"http redirect to a remote host", map[string]any{"redirect_uris": []string{"http://evil.example.net/cb"}}},
		{"javascript redirect", map[string]any{"redirect_uris": []string{"javascript:alert(document.cookie)"}}},
		{"client_secret_basic", map[string]any{"token_endpoint_auth_method": "client_secret_basic"}},
		{"client_secret_post", map[string]any{"token_endpoint_auth_method": "client_secret_post"}},
		{"client_secret member", map[string]any{"client_secret": "hunter2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, false, func(w http.ResponseWriter, r *http.Request) {
				e := map[string]any{"client_id": requestURL(r)}
				for k, v := range tt.edits {
					e[k] = v
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(docJSON(t, e))
			})
			f, _, _ := newTestFetcher(t, srv, nil)
			_, err := f.Fetch(context.Background(), srv.id("client.example.com", "/oauth/client.json"))
			e := wantKind(t, err, KindInvalidDocument)
			if strings.Contains(e.Description, "hunter2") || strings.Contains(e.Description, "evil.example.net") {
				t.Errorf("description quotes the document: %q", e.Description)
			}
		})
	}
}

func TestFetchResponseErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"404", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "SECRET-BODY", http.StatusNotFound)
		}},
		{"500 with a JSON document", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(docJSON(t, map[string]any{"client_id": requestURL(r), "client_name": "SECRET-BODY"}))
		}},
		{"203 is not 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNonAuthoritativeInfo)
			_, _ = w.Write(docJSON(t, map[string]any{"client_id": requestURL(r)}))
		}},
		{"HTML error page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>SECRET-BODY</html>"))
		}},
		{"declared length over the cap", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "1000000")
			_, _ = w.Write([]byte(`{"client_name":"SECRET-BODY"`))
		}},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("SECRET-BODY"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, false, tt.handler)
			f, _, _ := newTestFetcher(t, srv, nil)
			_, err := f.Fetch(context.Background(), srv.id("client.example.com", "/c.json"))
			if err == nil {
				t.Fatal("accepted")
			}
			e := wantKind(t, err, map[bool]Kind{true: KindInvalidDocument, false: KindFetch}[tt.name == "not JSON"])
			if strings.Contains(e.Description, "SECRET") {
				t.Errorf("description quotes the response: %q", e.Description)
			}
		})
	}
}

// TestFetchOversizeStopsReading: the server offers far more than the cap
// and never ends the body. A reader that checked the size after reading
// everything would wait for the one-minute timeout and report a timeout;
// ours must stop at the cap, report the size, and hang up.
func TestFetchOversizeStopsReading(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "HTTP/1.1", true: "HTTP/2"}[h2], func(t *testing.T) {
			const offered = 64 << 20
			written := make(chan int, 1)
			srv := startServer(t, h2, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"client_name":"`))
				n := 0
				chunk := []byte(strings.Repeat("a", 32<<10))
				for n < offered {
					if _, err := w.Write(chunk); err != nil {
						break
					}
					w.(http.Flusher).Flush()
					n += len(chunk)
				}
				if n >= offered {
					<-r.Context().Done() // a body that never ends
				}
				written <- n
			})
			f, _, _ := newTestFetcher(t, srv, func(o *Options) { o.Timeout = time.Minute })
			_, err := f.Fetch(context.Background(), srv.id("client.example.com", "/c.json"))
			e := wantKind(t, err, KindFetch)
			if !strings.Contains(e.Description, "larger than 5120 bytes") {
				t.Fatalf("error = %v, want the size limit", e)
			}
			if n := <-written; n >= offered {
				t.Errorf("the server wrote all %d bytes: the body was read to the end", n)
			}
		})
	}
}

func TestFetchTimeout(t *testing.T) {
	tests := map[string]http.HandlerFunc{
		"no response headers": func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		},
		"body never ends": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"client_id":`))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		},
	}
	for name, h := range tests {
		for _, h2 := range []bool{false, true} {
			t.Run(name+map[bool]string{false: " HTTP/1.1", true: " HTTP/2"}[h2], func(t *testing.T) {
				srv := startServer(t, h2, h)
				f, _, _ := newTestFetcher(t, srv, func(o *Options) { o.Timeout = 200 * time.Millisecond })
				_, err := f.Fetch(context.Background(), srv.id("client.example.com", "/c.json"))
				e := wantKind(t, err, KindFetch)
				if !strings.Contains(e.Description, "timed out") {
					t.Errorf("error = %v, want a timeout", e)
				}
			})
		}
	}
}

// TestFetchRedirectsNotFollowed: §4 forbids following redirects, so a
// redirect to an internal host is refused without even resolving it, with
// the private-network guard on and the first hop public.
func TestFetchRedirectsNotFollowed(t *testing.T) {
	for _, target := range []string{"https://internal.example.com/meta", "https://client.example.com/elsewhere.json"} {
		t.Run(target, func(t *testing.T) {
			var log dialLog
			srv := startServer(t, false, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/c.json" {
					t.Errorf("redirect followed to %s", r.URL)
					serveDoc(t, nil)(w, r)
					return
				}
				http.Redirect(w, r, target, http.StatusFound)
			})
			var res *mapResolver
			f, _, _ := newTestFetcher(t, srv, func(o *Options) {
				res = o.Resolver.(*mapResolver)
				res.set("internal.example.com", addrs("10.0.0.5"))
				publicNetwork(srv, &log)(o)
			})
			_, err := f.Fetch(context.Background(), srv.id("client.example.com", "/c.json"))
			e := wantKind(t, err, KindFetch)
			if !strings.Contains(e.Description, "redirect") {
				t.Errorf("error = %v", e)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			if slices.Contains(res.looked(), "internal.example.com") {
				t.Error("the redirect target was resolved")
			}
			if got := log.list(); len(got) != 1 || !strings.HasPrefix(got[0], "93.184.215.14:") {
				t.Errorf("dialed %v, want only the checked public address", got)
			}
		})
	}
}

func TestFetchRefusesNonPublicAddresses(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
	}{
		{"loopback", []string{"127.0.0.1"}},
		{"IPv6 loopback", []string{"::1"}},
		{"cloud metadata", []string{"169.254.169.254"}},
		{"RFC 1918", []string{"10.1.2.3"}},
		{"CGNAT", []string{"100.64.0.1"}},
		{"unspecified", []string{"0.0.0.0"}},
		{"unique local", []string{"fd00::1"}},
		{"IPv4-mapped private", []string{"::ffff:192.168.1.1"}},
		{"NAT64 of loopback", []string{"64:ff9b::7f00:1"}},
		{"one private among public", []string{"93.184.215.14", "10.0.0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log dialLog
			srv := startServer(t, false, serveDoc(t, nil))
			f, _, _ := newTestFetcher(t, srv, func(o *Options) {
				publicNetwork(srv, &log)(o)
				o.Resolver.(*mapResolver).set("client.example.com", addrs(tt.answers...))
			})
			_, err := f.Fetch(context.Background(), srv.id("client.example.com", "/c.json"))
			e := wantKind(t, err, KindForbidden)
			if strings.Contains(e.Description, tt.answers[len(tt.answers)-1]) {
				t.Errorf("description names the address: %q", e.Description)
			}
			if got := log.list(); len(got) != 0 {
				t.Errorf("connected to %v", got)
			}
		})
	}
	t.Run("IP literals", func(t *testing.T) {
		var log dialLog
		srv := startServer(t, false, serveDoc(t, nil))
		f, _, _ := newTestFetcher(t, srv, publicNetwork(srv, &log))
		for _, host := range []string{"127.0.0.1", "[::1]", "169.254.169.254", "[::ffff:127.0.0.1]"} {
			_, err := f.Fetch(context.Background(), srv.id(host, "/c.json"))
			wantKind(t, err, KindForbidden)
		}
		if got := log.list(); len(got) != 0 {
			t.Errorf("connected to %v", got)
		}
	})
	t.Run("control: a public address is fetched", func(t *testing.T) {
		var log dialLog
		srv := startServer(t, false, serveDoc(t, nil))
		f, _, _ := newTestFetcher(t, srv, publicNetwork(srv, &log))
		if _, err := f.Fetch(context.Background(), srv.id("client.example.com", "/c.json")); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFetchPinsCheckedAddress: a name is resolved once per connection and
// the connection goes to the address that was checked, so DNS that answers
// public then private (rebinding) gains nothing.
func TestFetchPinsCheckedAddress(t *testing.T) {
	var log dialLog
	srv := startServer(t, false, serveDoc(t, nil, "Cache-Control", "no-store"))
	srv.Config.SetKeepAlivesEnabled(false) // every fetch dials again
	var res *mapResolver
	f, _, _ := newTestFetcher(t, srv, func(o *Options) {
		publicNetwork(srv, &log)(o)
		res = o.Resolver.(*mapResolver)
		res.set("client.example.com", addrs("93.184.215.14"), addrs("127.0.0.1"))
	})
	id := srv.id("client.example.com", "/c.json")
	if _, err := f.Fetch(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if n := len(res.looked()); n != 1 {
		t.Errorf("%d lookups for one connection, want 1: a second lookup could answer differently", n)
	}
	if got := log.list(); len(got) != 1 || got[0] != fmt.Sprintf("93.184.215.14:%d", srv.port()) {
		t.Errorf("dialed %v, want the checked address", got)
	}
	_, err := f.Fetch(context.Background(), id)
	wantKind(t, err, KindForbidden)
	if got := log.list(); len(got) != 1 {
		t.Errorf("dialed %v after the name moved to loopback", got)
	}
}

func TestFetchIgnoresEnvironmentProxy(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	srv := startServer(t, false, serveDoc(t, nil))
	f, _, _ := newTestFetcher(t, srv, nil)
	if f.client.Transport.(*limitedTransport).next.(*http.Transport).Proxy != nil {
		t.Fatal("the transport has a proxy function")
	}
	if _, err := f.Fetch(context.Background(), srv.id("client.example.com", "/c.json")); err != nil {
		t.Fatal(err)
	}
}

func TestFetchDomainPolicy(t *testing.T) {
	srv := startServer(t, false, serveDoc(t, nil))
	var res *mapResolver
	f, _, _ := newTestFetcher(t, srv, func(o *Options) {
		o.AllowDomains = []string{"*.example.com"}
		o.DenyDomains = []string{"blocked.example.com", "*.bad.example.com"}
		res = o.Resolver.(*mapResolver)
		res.set("client.example.net", addrs("127.0.0.1"))
	})
	for _, tt := range []struct {
		host string
		ok   bool
	}{
		{"client.example.com", true},
		{"other.example.com", true},
		{"BLOCKED.example.com", false},
		{"x.bad.example.com", false},
		{"client.example.net", false},
		{"127.0.0.1", false},
	} {
		before := srv.hits.Load()
		_, err := f.Fetch(context.Background(), srv.id(tt.host, "/c.json"))
		if tt.ok && err != nil {
			t.Errorf("%s: %v", tt.host, err)
		}
		if !tt.ok {
			wantKind(t, err, KindForbidden)
			if srv.hits.Load() != before {
				t.Errorf("%s: a request was sent", tt.host)
			}
		}
	}
	for _, h := range res.looked() {
		if strings.Contains(h, "bad") || strings.Contains(h, "blocked") || strings.HasSuffix(h, ".net") {
			t.Errorf("denied host %s was resolved", h)
		}
	}
}

func TestFetchInvalidClientID(t *testing.T) {
	srv := startServer(t, false, serveDoc(t, nil))
	f, _, res := newTestFetcher(t, srv, nil)
	for _, id := range []string{
		"not-a-url", "http://client.example.com/c.json", srv.id("client.example.com", "/"),
		srv.id("client.example.com", "/c.json#x"), srv.id("client.example.com", "/a/../c.json"),
	} {
		_, err := f.Fetch(context.Background(), id)
		e := wantKind(t, err, KindInvalidClientID)
		if e.OAuthError().Code != "invalid_client" {
			t.Errorf("OAuthError code %q", e.OAuthError().Code)
		}
	}
	if srv.hits.Load() != 0 || len(res.looked()) != 0 {
		t.Error("an invalid client_id reached the network")
	}
}

func TestFetcherClientIsGuarded(t *testing.T) {
	var log dialLog
	srv := startServer(t, false, serveDoc(t, nil))
	f, _, _ := newTestFetcher(t, srv, func(o *Options) {
		publicNetwork(srv, &log)(o)
		o.Resolver.(*mapResolver).set("jwks.example.com", addrs("10.0.0.9"))
	})
	resp, err := f.Client().Get(srv.id("jwks.example.com", "/jwks.json"))
	if err == nil {
		resp.Body.Close()
		t.Fatal("Client reached a private address")
	}
	wantKind(t, err, KindForbidden)
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"negative timeout":   {Timeout: -1},
		"negative size":      {MaxBytes: -1},
		"min above max":      {MinCacheTTL: time.Hour, MaxCacheTTL: time.Minute},
		"bad allow pattern":  {AllowDomains: []string{"*"}},
		"bad deny pattern":   {DenyDomains: []string{"https://evil.example"}},
		"negative cache cap": {MaxEntries: -1},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(Options{}); err != nil {
		t.Errorf("zero Options: %v", err)
	}
}
