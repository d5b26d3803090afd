package gateway

import (
	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/clientaddr"
	"github.com/drawbridge-mcp/drawbridge/internal/jsonrpc"
	"github.com/drawbridge-mcp/drawbridge/internal/pinning"
	"github.com/drawbridge-mcp/drawbridge/internal/requestid"
)

// checkPin refuses a tools/call (request or notification: a server may
// act on either) whose tool's definition is not approved, when the
// server's pinning withholds such tools. The decision is pinning's, taken
// on the store: it does not depend on what this client listed.
func (rt *route) checkPin(x *exchange, m *jsonrpc.Message) verdict {
	if m.Method != "tools/call" || !rt.Pins.Enforced() {
		return verdict{}
	}
	r, err := rt.Pins.CheckCall(x.r.Context(), m.Name)
	if err != nil {
		// A read cut short because the client went away is not the
		// store failing: nobody is waiting for the answer.
		if x.r.Context().Err() == nil {
			rt.gw.opt.Log.Error("checking a tool's definition", "server", rt.Name, "err", err)
		}
		return verdict{reason: reasonUnavailable}
	}
	if r == nil {
		return verdict{}
	}
	rt.recordPinRefusal(x, r)
	return verdict{reason: reasonToolNotPinned, rule: "pinning", pin: r}
}

// recordPinRefusal records a refused call as tool.refused, beside the
// request's own mcp.request record, so that the pinning events tell the
// whole story of a tool.
func (rt *route) recordPinRefusal(x *exchange, r *pinning.Refusal) {
	rec := rt.gw.opt.Audit
	if rec == nil {
		return
	}
	e := audit.Event{Type: audit.ToolRefused, RequestID: requestid.From(x.r.Context()), Server: rt.Name, Name: r.Tool,
		Reason: r.Reason, Decision: audit.DecisionDeny, Remote: clientaddr.String(x.r), Rule: "pinning"}
	if c := x.claims; c != nil {
		e.Subject, e.ClientID, e.GrantID = c.Subject, c.ClientID, c.GrantID
	}
	rec.Record(e)
}
