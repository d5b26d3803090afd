package config

import (
	"errors"
	"strings"
	"testing"
)

// TestBackendHTTP2: off by default, on where set (a server or a composed
// server's member), and refused on a server or member that has no
// upstream to speak it to.
func TestBackendHTTP2(t *testing.T) {
	c, err := Parse([]byte(minimal+`  - {name: h2, path: /h2, upstream: "http://127.0.0.1:7072/mcp", backend_http2: true}
  - {name: all, path: /all, compose: [{name: gh, upstream: "http://127.0.0.1:7073/mcp", backend_http2: true}]}
`), env(map[string]string{"KEY": "k"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Backends[0].BackendHTTP2 || !c.Backends[1].BackendHTTP2 {
		t.Errorf("backend_http2 = %v, %v; want false (default), true", c.Backends[0].BackendHTTP2, c.Backends[1].BackendHTTP2)
	}
	if !c.Backends[2].Compose[0].BackendHTTP2 {
		t.Error("a member's backend_http2 was not read")
	}

	_, err = Parse([]byte(minimal+`  - {name: cmd, path: /cmd, command: [/bin/cat], backend_http2: true}
  - {name: all, path: /all, backend_http2: true, compose: [{name: gh, upstream: "http://127.0.0.1:7073/mcp"}, {name: cat, command: [/bin/cat], backend_http2: true}]}
`), env(map[string]string{"KEY": "k"}))
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("want *Problems, got %v", err)
	}
	for _, field := range []string{"servers[1].backend_http2", "servers[2].backend_http2", "servers[2].compose[1].backend_http2"} {
		if !strings.Contains(err.Error(), field+": only a server with an upstream") {
			t.Errorf("%s not reported in:\n%v", field, err)
		}
	}
}
