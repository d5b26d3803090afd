package authserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestAbandonedRequestsAreNotErrors: an error whose cause is a cancelled
// context (the client hung up) is logged at info with abandoned=true;
// every other error stays an error, and other levels pass unchanged.
func TestAbandonedRequestsAreNotErrors(t *testing.T) {
	var buf bytes.Buffer
	log := abandonedLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))).With("component", "as")
	cancelled := fmt.Errorf("sqlite: begin: %w", context.Canceled)
	log.Error("rotating refresh token", "err", cancelled)
	log.Error("storing grant", "err", errors.New("disk full"))
	log.Warn("slow", "err", cancelled)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{
		`level=INFO msg="rotating refresh token" component=as err="sqlite: begin: context canceled" abandoned=true`,
		`level=ERROR msg="storing grant" component=as err="disk full"`,
		`level=WARN msg=slow component=as err="sqlite: begin: context canceled"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines:\n%s", len(lines), buf.String())
	}
	for i, w := range want {
		if _, rest, _ := strings.Cut(lines[i], " "); rest != w {
			t.Errorf("line %d = %q, want %q", i, rest, w)
		}
	}

	buf.Reset()
	quiet := abandonedLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})))
	quiet.Error("token: looking up the client", "err", cancelled)
	if buf.Len() != 0 {
		t.Errorf("an abandoned request under a warn-level logger: %q", buf.String())
	}
}
