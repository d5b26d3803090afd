package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// healthz says the process is alive.
func healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readiness says whether this replica can serve: storage answers, a
// signing key is loaded, and the upstream identity provider's discovery
// document has been fetched.
type readiness struct {
	store storage.Store
	keys  *tokens.Keys
	// idp checks the upstream identity provider; nil for local users.
	idp func(context.Context) error
}

func (rd readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"storage": "ok", "signing_key": "ok"}
	status := http.StatusOK
	if err := rd.store.Ping(ctx); err != nil {
		checks["storage"], status = "unreachable", http.StatusServiceUnavailable
	}
	if rd.keys.Current() == "" {
		checks["signing_key"], status = "missing", http.StatusServiceUnavailable
	}
	if rd.idp != nil {
		// Discovery is cached once it succeeds, so this costs nothing
		// after the first success.
		checks["identity_provider"] = "ok"
		if err := rd.idp(ctx); err != nil {
			checks["identity_provider"], status = "unreachable", http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(checks)
}

// home tells a person who opens the public URL what this is.
func home(cfg *config.Config) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "Drawbridge: an OAuth gateway for MCP servers.\n\nMCP endpoints:\n")
		for i := range cfg.Backends {
			fmt.Fprintf(w, "  %s\n", cfg.ResourceURL(&cfg.Backends[i]))
		}
	}
}
