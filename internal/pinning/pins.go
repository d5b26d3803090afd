package pinning

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/lookalike"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Options configures the guard.
type Options struct {
	// Store keeps the pins; every replica on one store shares them.
	Store storage.ToolPinStore
	// Audit receives tool.* events; nil records none.
	Audit audit.Emitter
	Now   func() time.Time
	Log   *slog.Logger
}

// Guard pins the tool definitions of every server.
type Guard struct {
	opt Options

	mu sync.Mutex
	// books are each server's pins as last read from the store, for
	// RefreshEvery (see snapshot). One per configured server: the map
	// never grows with what clients send.
	books map[string]*cached
	// forgets counts Forget calls: a read that began before one may hold
	// pins from before the change that Forget announced, so it is not kept.
	forgets uint64
}

// RefreshEvery is how long pins read from the store decide calls and lists
// before they are read again. Within one process every change pinning
// makes, and every administrator decision taken through Forget, takes
// effect at once; a change another replica or the command line makes
// takes effect here within this long, as a revoked grant does within the
// revocation list's refresh.
const RefreshEvery = 2 * time.Second

type cached struct {
	b  *book
	at time.Time
}

// New builds the guard.
func New(o Options) *Guard {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Guard{opt: o, books: map[string]*cached{}}
}

// snapshot is server's pins as the store last had them, read again when
// older than RefreshEvery. The book it returns is shared: read it, never
// change it.
func (g *Guard) snapshot(ctx context.Context, server string) (*book, error) {
	now := g.opt.Now()
	g.mu.Lock()
	c := g.books[server]
	g.mu.Unlock()
	if c != nil && now.Sub(c.at) < RefreshEvery && !now.Before(c.at) {
		return c.b, nil
	}
	return g.reread(ctx, server)
}

// reread reads server's pins from the store and keeps them, unless a
// Forget came while it read.
func (g *Guard) reread(ctx context.Context, server string) (*book, error) {
	at := g.opt.Now()
	g.mu.Lock()
	forgets := g.forgets
	g.mu.Unlock()
	pins, err := g.opt.Store.ListToolPins(ctx, storage.ToolPinFilter{Server: server})
	if err != nil {
		return nil, err
	}
	b := newBook(server, pins)
	g.mu.Lock()
	if g.forgets == forgets {
		g.books[server] = &cached{b: b, at: at}
	}
	g.mu.Unlock()
	return b, nil
}

// Forget drops what is kept of server's pins: the next decision reads the
// store. Pinning calls it after each of its own writes; the administrator
// actions call it after deciding a pin.
func (g *Guard) Forget(server string) {
	if g == nil {
		return
	}
	g.mu.Lock()
	delete(g.books, server)
	g.forgets++
	g.mu.Unlock()
}

// For is the pinning of one server's tools; nil when the settings turn it
// off (a nil *Pins does nothing). A server made of several (a composed
// server) takes one per server it is made of and gives each its own tools.
func (g *Guard) For(server string, s Settings) *Pins {
	if g == nil || s.Mode == Off || s.Mode == "" {
		return nil
	}
	if s.Approval == "" {
		s.Approval = Approval(config.DefaultPinningApproval)
	}
	return &Pins{g: g, server: server, s: s}
}

// Pins applies one server's settings to its lists and calls.
type Pins struct {
	g      *Guard
	server string
	s      Settings
}

// Enforced reports whether p withholds what is not approved (Hide, Block).
func (p *Pins) Enforced() bool { return p != nil && p.s.enforced() }

// FilterTools records the definitions of one tools/list result (one page
// of it) and returns those the client may see: under Warn all of them,
// under Hide and Block the approved ones. A store failure is an error
// under Hide and Block (the caller must not show the list); under Warn
// it is logged and the list passes.
func (p *Pins) FilterTools(ctx context.Context, tools []json.RawMessage) ([]json.RawMessage, error) {
	if p == nil {
		return tools, nil
	}
	defs := make([]Definition, len(tools))
	readable := make([]bool, len(tools))
	for i, raw := range tools {
		d, err := Read(raw)
		if err != nil {
			p.g.opt.Log.Warn("tool definition not pinned", "server", p.server, "index", i, "err", err)
			continue
		}
		defs[i], readable[i] = d, true
	}
	b, err := p.record(ctx, defs, readable)
	if err != nil {
		if !p.s.enforced() {
			p.g.opt.Log.Error("recording tool definitions", "server", p.server, "err", err)
			return tools, nil
		}
		return nil, err
	}
	if !p.s.enforced() {
		return tools, nil
	}
	kept := make([]json.RawMessage, 0, len(tools))
	for i, raw := range tools {
		if readable[i] && b.visible(defs[i]) {
			kept = append(kept, raw)
		}
	}
	return kept, nil
}

// record stores what the list shows that the store does not know yet, and
// which definition each tool was last seen with, and returns the pins as
// they now are. Writes happen only when something changed: a list that
// shows what was seen before costs one read.
func (p *Pins) record(ctx context.Context, defs []Definition, readable []bool) (*book, error) {
	st := p.g.opt.Store
	kept, err := p.g.snapshot(ctx, p.server)
	if err != nil {
		return nil, err
	}
	// A book of its own: the kept one is shared with concurrent calls.
	b, first, now, raced, wrote := newBook(p.server, kept.pins), len(kept.pins) == 0, p.g.opt.Now(), false, false
	defer func() {
		if wrote || raced {
			p.g.Forget(p.server)
		}
	}()
	for i, d := range defs {
		if !readable[i] {
			continue
		}
		k := storage.ToolPinKey{Server: p.server, Tool: d.Name, Hash: d.Hash}
		j, known := b.byKey[k]
		switch {
		case !known:
			np := b.newPin(p.s, d, now, first)
			err := st.CreateToolPin(ctx, np)
			if errors.Is(err, storage.ErrAlreadyExists) {
				// Another request or replica recorded it first (and
				// audited it); its record is the one that counts.
				raced = true
				continue
			}
			if err != nil {
				return nil, err
			}
			wrote = true
			b.add(np)
			p.audited(np)
		case !b.isCurrent(j):
			if err := st.SeeToolPin(ctx, k, now); err != nil {
				return nil, err
			}
			wrote = true
			b.pins[j].SeenAt = now
		}
	}
	if raced {
		pins, err := st.ListToolPins(ctx, storage.ToolPinFilter{Server: p.server})
		if err != nil {
			return nil, err
		}
		b = newBook(p.server, pins)
	}
	return b, nil
}

// audited records a definition seen for the first time.
func (p *Pins) audited(np storage.ToolPin) {
	e := audit.Event{Time: p.g.opt.Now(), Server: p.server, Name: np.Tool, ToolHash: np.Hash, Reason: np.Reason,
		Decision: audit.DecisionAllow, Rule: "pinning " + string(p.s.Mode)}
	switch np.Reason {
	case ReasonFirstUse:
		e.Type = audit.ToolPinned
	case ReasonChanged:
		e.Type = audit.ToolChanged
	default:
		e.Type = audit.ToolNew
	}
	if np.State != storage.PinApproved && p.s.enforced() {
		e.Decision = audit.DecisionDeny
	}
	p.g.record(e)
}

func (g *Guard) record(e audit.Event) {
	if g.opt.Audit != nil {
		g.opt.Audit.Record(e)
	}
}

// Refusal is why a call is refused.
type Refusal struct {
	Server, Tool string
	// Reason is ReasonChanged, ReasonNew, ReasonLookalike or
	// ReasonRejected.
	Reason string
}

// Message is the JSON-RPC error message a refused call gets: what is
// wrong and who can fix it. It names the tool as the client did.
func (r *Refusal) Message() string {
	q := strconv.Quote(r.Tool)
	switch r.Reason {
	case ReasonNew:
		return "tool " + q + " has not been approved; an administrator must review it"
	case ReasonLookalike:
		return "tool " + q + " looks like another tool's name and has not been approved; an administrator must review it"
	}
	return "tool " + q + " changed since it was approved; an administrator must review it"
}

// CheckCall decides a tools/call to name: nil to let it through, else the
// refusal. Only Hide and Block refuse calls. The decision is taken on the
// store, not on what this client listed: a client that calls a tool
// without listing (or after another client's list showed the change, or
// on another replica) is refused the same way.
func (p *Pins) CheckCall(ctx context.Context, name string) (*Refusal, error) {
	if !p.Enforced() {
		return nil, nil
	}
	b, err := p.g.snapshot(ctx, p.server)
	if err != nil {
		return nil, err
	}
	if reason := callRefusal(p.s, b.withNameKey(lookalike.Key(name)), name); reason != "" {
		return &Refusal{Server: p.server, Tool: name, Reason: reason}, nil
	}
	return nil, nil
}
