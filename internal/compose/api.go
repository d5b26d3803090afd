package compose

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// This file is the contract between the composed-server core (this
// package) and the assembly that builds it from configuration
// (internal/server). The core replaces the bodies below; the types and
// signatures change only by agreement.

var _ http.Handler = (*Server)(nil)

// Member is one backend of a composed server.
type Member struct {
	// Name identifies the member in logs, metrics, audit records
	// ("backend") and errors. Unique within the server.
	Name string
	// URL is the member's Streamable HTTP MCP endpoint. For an in-process
	// member (a stdio bridge, an OpenAPI server) it is any URL that
	// Client's transport serves in-process.
	URL string
	// Client sends every request to the member. Its transport attaches the
	// member's own credential for the caller, whom it finds in the
	// request's context (the gateway's Claims); it never follows a
	// redirect. The core sends every member request with a context derived
	// from the client request it serves, or from Options.Detach.
	Client *http.Client
	// NeedsUser says the member's credential acts for the caller
	// (upstream_token, token_exchange, entra_obo, identity_assertion):
	// Check cannot list its tools without one and skips it.
	NeedsUser bool
	// Timeout bounds the wait for a member's response headers (and for a
	// list request's whole answer); 0 means 60s.
	Timeout time.Duration
	// Prefix is put before each of the member's tool and prompt names
	// ("" for none). Resource URIs are never changed.
	Prefix string
	// Include and Exclude select the member's tools and prompts by the
	// member's own name, as path.Match globs; an empty Include includes
	// everything, Exclude wins.
	Include, Exclude []string
	// Overrides rename a tool or prompt (keyed by the member's own name)
	// and replace its title or description. An override's Name is the
	// whole name the client sees (Prefix is not added to it).
	Overrides map[string]Override
}

// Override changes how one tool or prompt is shown to clients. Empty
// fields keep the member's value.
type Override struct {
	Name, Title, Description string
}

// Options configure a composed server.
type Options struct {
	// Name, Title and Version are the server's implementation info.
	Name, Title, Version string
	// Members are the backends, in order: when two members announce the
	// same name at run time, the earlier one keeps it.
	Members []Member
	Log     *slog.Logger
	// KeepAlive is the idle time after which an SSE stream gets a comment
	// line; 0 means 25s, negative none.
	KeepAlive time.Duration
	// SessionIdle ends a legacy-era session (and its member sessions)
	// after this long without a request or an open stream; 0 means 30m.
	SessionIdle time.Duration
	// Detach returns a context for requests the core sends on its own
	// (closing member sessions, re-listing after list_changed), carrying
	// the caller of ctx so member transports still find who it is. Nil
	// means context.WithoutCancel.
	Detach func(ctx context.Context) context.Context
	// Observer hears what the operator must see; nil hears nothing.
	Observer Observer
}

// Observer receives the composed server's events. Implementations must
// be quick and must not block.
type Observer interface {
	// Routed is called when a request naming a tool, prompt or resource
	// is sent to its member, with the member's own name for it; ctx is the
	// client request's (the gateway records both in its audit record).
	Routed(ctx context.Context, member, name string)
	// MemberDown is called when a member fails to answer (connection
	// refused, timeout, HTTP error, malformed answer); err says why and
	// never carries a credential.
	MemberDown(ctx context.Context, member string, err error)
	// MemberUp is called when a member answers again after MemberDown.
	MemberUp(ctx context.Context, member string)
	// Shadowed is called when a member announces a tool or prompt name
	// that another member owns; kind is "tool" or "prompt". The name is
	// left out of that member's list.
	Shadowed(ctx context.Context, kind, name, owner, member string)
}

// MemberHealth is a member's state as last seen.
type MemberHealth struct {
	Name string
	Up   bool
	// Since is when the state last changed; LastError is the last failure
	// ("" when up).
	Since     time.Time
	LastError string
}

// Server is a composed MCP server: one Streamable HTTP endpoint over its
// members, for both protocol eras.
type Server struct{ server }

// New validates o (duplicate member names, an override or prefix that
// makes two configured names equal, bad globs) and builds the server. It
// contacts no member.
func New(o Options) (*Server, error) { return build(o) }

// ErrUnreachable marks Check's problems that are a member not answering
// (errors.Is), which an operator may start with; the others are
// configuration mistakes that stop the server.
var ErrUnreachable = errors.New("compose: member unreachable")

// Check lists every member's tools and prompts (except members that
// NeedsUser) and reports every problem at once: a name two members
// would both show (naming both), an Include or Override naming nothing,
// an unreachable member (wrapping ErrUnreachable).
func (s *Server) Check(ctx context.Context) []error { return s.check(ctx) }

// Health is each member's last seen state, in member order.
func (s *Server) Health() []MemberHealth {
	out := make([]MemberHealth, len(s.members))
	for i, m := range s.members {
		out[i] = m.state()
	}
	return out
}

// ToolsChanged tells every legacy-era session that the tool list may have
// changed, for a member that cannot say so itself (an in-process OpenAPI
// member, stateless, has no GET stream): what was learnt about tool
// owners is forgotten, and notifications/tools/list_changed goes on the
// session's standalone stream if one is open (2025-11-25
// server/tools §"List Changed Notification").
func (s *Server) ToolsChanged() { s.toolsChanged() }

// ServeHTTP serves the MCP endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serveHTTP(w, r) }

// Close ends every session and closes member sessions.
func (s *Server) Close() error { return s.close() }
