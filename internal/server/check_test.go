package server

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
)

func TestReported(t *testing.T) {
	problems := []error{
		errors.New("identity.oidc.client_id: required"),
		errors.New("servers[1].auth.mode: \"x\" is not one of none, headers"),
		errors.New("line 12: servers[3].auth.modee: unknown key (did you mean mode?)"),
		errors.New("tls: needs both cert_file and key_file"),
	}
	for _, tc := range []struct {
		section string
		want    bool
	}{
		{"identity", true},
		{"identity.oidc", true},
		{"identity.entra", false},
		{"servers[1].auth", true},
		{"servers[1]", true},
		{"servers[10].auth", false},
		{"servers[3].auth", true},
		{"servers[2].auth", false},
		{"tls", true},
		{"tl", false},
	} {
		if got := reported(problems, tc.section); got != tc.want {
			t.Errorf("reported(%q) = %v, want %v", tc.section, got, tc.want)
		}
	}
}

// TestCheckSkipsWhatValidationReported: a section with a problem of its
// own is not built again; the others are, and every problem is returned.
func TestCheckSkipsWhatValidationReported(t *testing.T) {
	missing := func(path string) config.BackendAuth {
		return config.BackendAuth{Mode: "headers", HeaderFiles: map[string]string{"x-key": path}}
	}
	cfg := &config.Config{PublicURL: "https://mcp.example.com", Backends: []config.Backend{
		{Name: "a", Auth: missing("/nonexistent/a")},
		{Name: "b", Auth: missing("/nonexistent/b")},
		{Name: "c", Auth: missing("/nonexistent/c")},
	}}
	cfg.Identity.Type = config.IdentityNone
	errs := Check(context.Background(), cfg, []error{errors.New("servers[1].auth.header_files.x-key: unreadable")})
	got := errors.Join(errs...).Error()
	if len(errs) != 2 || !strings.Contains(got, "/nonexistent/a") || !strings.Contains(got, "/nonexistent/c") || strings.Contains(got, "/nonexistent/b") {
		t.Errorf("Check = %v, want the problems of servers[0] and servers[2] only", errs)
	}
}
