package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedFileIsCurrent: store_gen.go is what the generator makes of
// storage.Store today.
func TestGeneratedFileIsCurrent(t *testing.T) {
	src, err := generateInstrumentedStore()
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("../../store_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, src) {
		t.Error("internal/telemetry/store_gen.go is stale: run go generate ./internal/telemetry")
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"Ping":                         "ping",
		"RotateRefreshToken":           "rotate_refresh_token",
		"DeleteExpiredConsoleSessions": "delete_expired_console_sessions",
		"GetJWKS":                      "get_jwks",
		"JWKSForClient":                "jwks_for_client",
		"UseOnce":                      "use_once",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}
