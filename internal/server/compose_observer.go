package server

import (
	"context"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/gateway"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
)

// composeObserver hears a composed server's events and tells the
// operator: the audit record of each routed request names the member, a
// shadowed name is audited, a member going down is counted (the console
// shows its state from the server's Health). The composed server logs
// each of these itself, with the server's name (composeOptions).
type composeObserver struct {
	server  string
	events  audit.Emitter
	metrics *telemetry.Metrics
	now     func() time.Time
}

func newComposeObserver(server string, opt Options, c core) *composeObserver {
	return &composeObserver{server: server, events: c.events, metrics: c.metrics, now: opt.Now}
}

func (o *composeObserver) Routed(ctx context.Context, member, name string) {
	gateway.NoteRouted(ctx, member, name)
}

func (o *composeObserver) MemberDown(_ context.Context, member string, _ error) {
	o.metrics.ComposeMemberError(o.server, member)
}

// MemberUp needs nothing more than the composed server's own log line.
func (o *composeObserver) MemberUp(context.Context, string) {}

// Shadowed: a member announced a name another owns. It was left out; the
// record says who owns it, so that an administrator can tell an honest
// clash from a member trying to take over another's tool.
func (o *composeObserver) Shadowed(_ context.Context, kind, name, owner, member string) {
	if o.events == nil {
		return
	}
	o.events.Record(audit.Event{Time: o.now(), Type: audit.ToolShadowed, Server: o.server, Name: name, Backend: member,
		Decision: audit.DecisionDeny, Reason: "shadowed",
		Detail: audit.Detail(fmt.Sprintf("%s %q belongs to member %s; member %s's was left out", kind, name, owner, member))})
}
