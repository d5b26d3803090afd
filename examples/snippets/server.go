package snippets

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MCPPath is where the MCP endpoint is mounted.
const MCPPath = "/mcp"

// Version is reported to clients in serverInfo.
const Version = "1.0.0"

// idleSessionTimeout ends stateful sessions whose client went away without
// sending DELETE, so an abandoned session does not live forever.
const idleSessionTimeout = 30 * time.Minute

// Server is the snippets MCP server. Use [Server.Serve] on a listener of
// your choosing, or mount [Server.Handler] in your own http.Server; either
// way call [Server.Shutdown] or [Server.Close] when done.
type Server struct {
	store   *store
	mcp     *mcp.Server
	handler http.Handler
	http    *http.Server

	releaseOnce sync.Once
	releaseErr  error
}

// New validates opts, opens (creating if needed) the data directory and
// builds the server. Nothing listens until Serve is called.
func New(opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := openStore(opts.DataDir)
	if err != nil {
		return nil, err
	}
	if opts.Key == "" {
		opts.Logger.Warn("snippets: no key configured; anyone who can reach the listener can use this server")
	}
	s := &Server{store: st, mcp: newMCPServer(st, opts)}
	s.handler = s.routes(opts)
	s.http = &http.Server{
		Handler: s.handler,
		// No WriteTimeout: SSE responses and the GET stream stay open for as
		// long as the session does.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	// A stateful client holds a GET stream open indefinitely; ending the
	// sessions is what lets Shutdown find every connection idle.
	s.http.RegisterOnShutdown(s.closeSessions)
	return s, nil
}

func newMCPServer(st *store, opts Options) *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{
		Name:    "snippets",
		Title:   "Snippets (Drawbridge sample MCP server)",
		Version: Version,
	}, &mcp.ServerOptions{
		Instructions: "Save named text snippets with save_snippet and read them back with get_snippet.",
		Logger:       opts.Logger,
		// The default would advertise a logging capability this server
		// never uses; tools are still inferred from AddTool.
		Capabilities: &mcp.ServerCapabilities{},
	})
	(&tools{store: st, log: opts.Logger}).register(srv)
	return srv
}

// routes is the one place that orders the middleware: the key check wraps
// everything, so even a 404 needs the key.
func (s *Server) routes(opts Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(MCPPath, mcp.NewStreamableHTTPHandler(
		func(*http.Request) *mcp.Server { return s.mcp },
		&mcp.StreamableHTTPOptions{
			Stateless:      opts.Stateless,
			SessionTimeout: idleSessionTimeout,
			Logger:         opts.Logger,
		}))
	var h http.Handler = mux
	if opts.Assertion != nil {
		h = fromAssertion(opts.Assertion, opts.Logger, h)
	}
	if opts.Key == "" && opts.Assertion == nil {
		return dropIdentity(h)
	}
	if opts.Key == "" {
		return h
	}
	return requireKey(opts.KeyHeader, opts.Key, opts.Logger, h)
}

// Handler returns the HTTP handler serving [MCPPath], key check included.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections on ln until Shutdown or Close, then returns
// [http.ErrServerClosed], like [http.Server.Serve].
func (s *Server) Serve(ln net.Listener) error { return s.http.Serve(ln) }

// Shutdown stops accepting connections, ends MCP sessions, waits for
// in-flight requests until ctx is done, then releases the data directory.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	return errors.Join(err, s.release())
}

// Close stops the server immediately, dropping in-flight requests.
func (s *Server) Close() error {
	err := s.http.Close()
	return errors.Join(err, s.release())
}

func (s *Server) release() error {
	s.releaseOnce.Do(func() {
		// Sweep again: a request already in flight when shutdown began can
		// still have opened a session after the first sweep.
		s.closeSessions()
		s.releaseErr = s.store.close()
	})
	return s.releaseErr
}

func (s *Server) closeSessions() {
	for ss := range s.mcp.Sessions() {
		_ = ss.Close()
	}
}
