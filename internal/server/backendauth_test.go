package server

import (
	"context"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
)

// TestBackendCredentialsReportsEveryProblem: each server whose credential
// cannot be built is named, not only the first.
func TestBackendCredentialsReportsEveryProblem(t *testing.T) {
	files := func(path string) config.BackendAuth {
		return config.BackendAuth{Mode: "headers", HeaderFiles: map[string]string{"x-key": path}}
	}
	cfg := &config.Config{PublicURL: "https://mcp.example.com", Backends: []config.Backend{
		{Name: "one", Auth: files("/nonexistent/one")},
		{Name: "fine", Auth: config.BackendAuth{Mode: "headers", Headers: map[string]string{"x-key": "v"}}},
		{Name: "none"},
		{Name: "two", Auth: files("/nonexistent/two")},
		{Name: "user", Auth: config.BackendAuth{Mode: "upstream_token", Audience: "api"}},
	}}
	creds, err := backendCredentials(context.Background(), cfg, goldenOptions(), credParts{})
	for _, want := range []string{"servers[0].auth: header x-key: open /nonexistent/one", "servers[3].auth: header x-key: open /nonexistent/two",
		"servers[4].auth: mode upstream_token needs sign-in"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not report %q", err, want)
		}
	}
	if _, ok := creds["fine"]; !ok || len(creds) != 1 {
		t.Errorf("credentials %v, want only the one for fine (none has no credential)", creds)
	}
}
