package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// healthz says the process is alive.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz says whether this replica can serve: storage answers, a signing
// key is loaded, and the upstream identity provider's discovery document
// has been fetched.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"storage": "ok", "signing_key": "ok"}
	status := http.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		checks["storage"], status = "unreachable", http.StatusServiceUnavailable
	}
	if s.keys.Current() == "" {
		checks["signing_key"], status = "missing", http.StatusServiceUnavailable
	}
	if s.idpReady != nil {
		// Discovery is cached once it succeeds, so this costs nothing
		// after the first success.
		checks["identity_provider"] = "ok"
		if err := s.idpReady(ctx); err != nil {
			checks["identity_provider"], status = "unreachable", http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(checks)
}

// home tells a person who opens the public URL what this is.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Drawbridge: an OAuth gateway for MCP servers.\n\nMCP endpoints:\n")
	for i := range s.cfg.Backends {
		fmt.Fprintf(w, "  %s\n", s.cfg.ResourceURL(&s.cfg.Backends[i]))
	}
}
