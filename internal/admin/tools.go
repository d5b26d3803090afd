package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Tool definition pinning (package pinning) withholds a tool whose
// definition changed, or a new one under pinning: block, until an
// administrator approves it. These are the actions that review them: the
// pins are in the store, so a decision takes effect on every replica at
// its next list or call.

// ErrBadToolPin: the definition to decide on is not named well enough.
// The error's text says why and may be shown.
var ErrBadToolPin = errors.New("cannot decide on this tool definition")

// minHashPrefix is the shortest hash prefix that names a definition.
const minHashPrefix = 8

// ToolChange is a definition waiting for an administrator, with the
// definition of the tool that is approved now, if there is one (a new
// tool has none).
type ToolChange struct {
	Pin      storage.ToolPin
	Approved *storage.ToolPin
}

// PendingTools lists the definitions waiting for review, by server, tool
// and when they were first seen.
func (a *API) PendingTools(ctx context.Context) ([]ToolChange, error) {
	pending, err := a.opt.Store.ListToolPins(ctx, storage.ToolPinFilter{State: storage.PinPending})
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	approved, err := a.opt.Store.ListToolPins(ctx, storage.ToolPinFilter{State: storage.PinApproved})
	if err != nil {
		return nil, err
	}
	current := map[[2]string]storage.ToolPin{}
	for _, p := range approved {
		current[[2]string{p.Server, p.Tool}] = p
	}
	out := make([]ToolChange, 0, len(pending))
	for _, p := range pending {
		c := ToolChange{Pin: p}
		if ap, ok := current[[2]string{p.Server, p.Tool}]; ok {
			c.Approved = &ap
		}
		out = append(out, c)
	}
	return out, nil
}

// ToolPins lists every pinned definition, of one server or ("") all.
func (a *API) ToolPins(ctx context.Context, server string) ([]storage.ToolPin, error) {
	return a.opt.Store.ListToolPins(ctx, storage.ToolPinFilter{Server: server})
}

// ApproveTool approves a definition (named by its hash or a prefix of at
// least 8 characters): the tool is shown and callable with it, and any
// definition approved before is retired.
func (a *API) ApproveTool(ctx context.Context, who Actor, server, tool, hash string) (storage.ToolPin, error) {
	return a.decideTool(ctx, who, server, tool, hash, storage.PinApproved)
}

// RejectTool rejects a definition: while the server shows it, the tool
// stays hidden and its calls refused.
func (a *API) RejectTool(ctx context.Context, who Actor, server, tool, hash string) (storage.ToolPin, error) {
	return a.decideTool(ctx, who, server, tool, hash, storage.PinRejected)
}

// decideTool records the decision and audits it (tool.approved or
// tool.rejected); a definition already so decided is left as it is.
func (a *API) decideTool(ctx context.Context, who Actor, server, tool, hash, state string) (storage.ToolPin, error) {
	p, err := a.findToolPin(ctx, server, tool, hash)
	if err != nil || p.State == state {
		return p, err
	}
	if p, err = a.opt.Store.DecideToolPin(ctx, p.ToolPinKey, state, who.Subject, a.opt.Now()); err != nil {
		return storage.ToolPin{}, err
	}
	a.opt.Pins.Forget(p.Server)
	typ := audit.ToolApproved
	if state == storage.PinRejected {
		typ = audit.ToolRejected
	}
	if a.opt.Record != nil {
		a.opt.Record.Record(audit.Event{Time: a.opt.Now(), Type: typ, Subject: who.Subject, Actor: who.Subject,
			ClientID: who.ClientID, Remote: who.Remote, RequestID: who.RequestID, Server: p.Server, Name: p.Tool,
			ToolHash: p.Hash, Reason: p.Reason})
	}
	return p, nil
}

// findToolPin finds the one definition of server's tool whose hash is, or
// begins with, hash.
func (a *API) findToolPin(ctx context.Context, server, tool, hash string) (storage.ToolPin, error) {
	hash = strings.ToLower(strings.TrimSpace(hash))
	switch {
	case server == "" || tool == "":
		return storage.ToolPin{}, fmt.Errorf("%w: name the server and the tool", ErrBadToolPin)
	case len(hash) < minHashPrefix:
		return storage.ToolPin{}, fmt.Errorf("%w: name the definition by its hash (at least %d characters of it)", ErrBadToolPin, minHashPrefix)
	}
	pins, err := a.opt.Store.ListToolPins(ctx, storage.ToolPinFilter{Server: server, Tool: tool})
	if err != nil {
		return storage.ToolPin{}, err
	}
	var found []storage.ToolPin
	for _, p := range pins {
		if strings.HasPrefix(p.Hash, hash) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return storage.ToolPin{}, fmt.Errorf("no definition %s of tool %q of server %q: %w", hash, tool, server, storage.ErrNotFound)
	case 1:
		return found[0], nil
	}
	return storage.ToolPin{}, fmt.Errorf("%w: %d definitions of this tool begin with %s; give more of the hash", ErrBadToolPin, len(found), hash)
}
