package config

import (
	"strings"
	"testing"
	"time"
)

func parseOpenAPIServer(t *testing.T, server string) (*Config, error) {
	t.Helper()
	y := `
public_url: http://127.0.0.1:8080
encryption_keys: [{id: k1, key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]
identity:
  local:
    users: [{username: alice, password_hash: "$2a$10$abcdefghijklmnopqrstuv"}]
servers:
  - name: petstore
    path: /petstore/mcp
` + server
	return Parse([]byte(y), env(nil))
}

func TestOpenAPIDefaults(t *testing.T) {
	c, err := parseOpenAPIServer(t, "    openapi: {spec: petstore.yaml, base_url: \"https://petstore3.swagger.io/api/v3\", include: [\"tag:pet\"]}\n")
	if err != nil {
		t.Fatal(err)
	}
	o := c.Backends[0].OpenAPI
	if o.Timeout.D() != 30*time.Second || o.MaxResponseBytes != 1<<20 || o.Refresh != 0 || c.Backends[0].Transport != "streamable-http" {
		t.Errorf("defaults = %+v transport %q", o, c.Backends[0].Transport)
	}
}

func TestOpenAPIProblemsAllReported(t *testing.T) {
	_, err := parseOpenAPIServer(t, `    upstream: http://127.0.0.1:9/mcp
    openapi: {spec: x.yaml, base_url: "https://a.example"}
  - name: b
    path: /b/mcp
    transport: sse
    forward_identity: true
    openapi:
      base_url: "ftp://a.example/?k=1"
      include: ["tag:", "path:/a/["]
      timeout: -1s
      max_response_bytes: -5
      refresh: 59s
  - name: c
    path: /c/mcp
    openapi: {spec: x.yaml, base_url: "https://a.example", refresh: -1m}
`)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"servers[0]: set exactly one of upstream, command, openapi and compose",
		"servers[1].openapi.spec: required",
		`servers[1].openapi.base_url: "ftp://a.example/?k=1" must be an http or https URL`,
		`servers[1].openapi.include: "tag:": empty tag`,
		`"path:/a/[": syntax error in pattern`,
		"servers[1].openapi.timeout: must be positive",
		"servers[1].openapi.max_response_bytes: must be positive",
		"servers[1].openapi.refresh: 59s: must be 0 (off) or at least 1m0s",
		"servers[2].openapi.refresh: -1m0s: must be 0 (off) or at least 1m0s",
		"servers[1].transport: an openapi server is served in-process over streamable-http",
		"servers[1].forward_identity: not supported for an openapi server",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
