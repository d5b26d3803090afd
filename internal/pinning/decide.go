package pinning

import (
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/lookalike"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Why a definition was recorded as it was (storage.ToolPin.Reason), and
// why a call is refused (Refusal.Reason).
const (
	// ReasonFirstUse: trusted on first use.
	ReasonFirstUse = "first_use"
	// ReasonChanged: the tool had another definition before.
	ReasonChanged = "changed"
	// ReasonNew: a tool never seen, not trusted on first use (Block after
	// the first contact, or AdminApproval).
	ReasonNew = "new"
	// ReasonLookalike: a tool never seen whose name shares its NameKey
	// with a known tool's: never trusted on first use, and a call under a
	// name no list showed but that looks like a known tool's is refused.
	ReasonLookalike = "lookalike"
	// ReasonRejected: an administrator rejected the definition the
	// server shows now.
	ReasonRejected = "rejected"
)

// FirstUse is the DecidedBy of definitions trusted on first use.
const FirstUse = "first-use"

// book is one server's pins, indexed for the decisions below.
type book struct {
	server    string
	pins      []storage.ToolPin
	byKey     map[storage.ToolPinKey]int
	byTool    map[string][]int
	byNameKey map[string][]int
}

func newBook(server string, pins []storage.ToolPin) *book {
	b := &book{server: server, byKey: map[storage.ToolPinKey]int{}, byTool: map[string][]int{}, byNameKey: map[string][]int{}}
	for _, p := range pins {
		b.add(p)
	}
	return b
}

func (b *book) add(p storage.ToolPin) {
	i := len(b.pins)
	b.pins = append(b.pins, p)
	b.byKey[p.ToolPinKey] = i
	b.byTool[p.Tool] = append(b.byTool[p.Tool], i)
	b.byNameKey[p.NameKey] = append(b.byNameKey[p.NameKey], i)
}

// withNameKey are the pins whose NameKey is key, in store order.
func (b *book) withNameKey(key string) []storage.ToolPin {
	idx := b.byNameKey[key]
	out := make([]storage.ToolPin, len(idx))
	for i, j := range idx {
		out[i] = b.pins[j]
	}
	return out
}

// newPin is how a definition the server shows for the first time is
// recorded. A tool that had another definition has changed; a name that
// looks like a known tool's is suspect; anything else is new, and trusted
// on first use unless the settings say otherwise. first is set while the
// server has no pins at all: its first list, which Block trusts too.
func (b *book) newPin(s Settings, d Definition, now time.Time, first bool) storage.ToolPin {
	key := lookalike.Key(d.Name)
	p := storage.ToolPin{ToolPinKey: storage.ToolPinKey{Server: b.server, Tool: d.Name, Hash: d.Hash}, NameKey: key,
		Definition: d.Canonical, State: storage.PinPending, FirstSeenAt: now, SeenAt: now}
	switch {
	case len(b.byTool[d.Name]) > 0:
		p.Reason = ReasonChanged
	case len(b.byNameKey[key]) > 0:
		p.Reason = ReasonLookalike
	case s.Approval == AdminApproval || (s.Mode == Block && !first):
		p.Reason = ReasonNew
	default:
		p.Reason, p.State, p.DecidedBy, p.DecidedAt = ReasonFirstUse, storage.PinApproved, FirstUse, now
	}
	return p
}

// isCurrent reports whether pin i is the definition its tool was last
// seen with: no other definition of the tool was seen as late.
func (b *book) isCurrent(i int) bool {
	for _, j := range b.byTool[b.pins[i].Tool] {
		if j != i && !b.pins[j].SeenAt.Before(b.pins[i].SeenAt) {
			return false
		}
	}
	return true
}

// visible reports whether a listed definition may be shown where pins
// are enforced: it is approved, and no tool that looks like it has a
// change waiting. A waiting change keeps the tool hidden until an
// administrator decides, even if the server goes back to the approved
// definition meanwhile (a server cannot show one definition to one
// client and another to the next to get past review).
func (b *book) visible(d Definition) bool {
	i, ok := b.byKey[storage.ToolPinKey{Server: b.server, Tool: d.Name, Hash: d.Hash}]
	if !ok || b.pins[i].State != storage.PinApproved {
		return false
	}
	for _, j := range b.byNameKey[b.pins[i].NameKey] {
		if b.pins[j].State == storage.PinPending {
			return false
		}
	}
	return true
}

// callRefusal decides a call to name, given every pin of the server whose
// NameKey is name's: "" to allow it, else why not (a Reason...). It is
// refused when a tool that looks like it has a change waiting; when no
// list ever showed name but one showed a look-alike; when no list ever
// showed it and nothing is trusted on first use after the first contact;
// and when the definition the server last showed is not approved.
func callRefusal(s Settings, pins []storage.ToolPin, name string) string {
	var exact []storage.ToolPin
	for _, p := range pins {
		if p.State == storage.PinPending {
			if p.Reason == ReasonFirstUse || p.Reason == "" {
				return ReasonChanged
			}
			return p.Reason
		}
		if p.Tool == name {
			exact = append(exact, p)
		}
	}
	switch {
	case len(exact) == 0 && len(pins) > 0:
		return ReasonLookalike
	case len(exact) == 0 && (s.Mode == Block || s.Approval == AdminApproval):
		return ReasonNew
	case len(exact) == 0:
		return ""
	}
	cur := exact[0]
	for _, p := range exact[1:] {
		// The latest seen; on a tie, the one that is not approved.
		if p.SeenAt.After(cur.SeenAt) || (p.SeenAt.Equal(cur.SeenAt) && p.State != storage.PinApproved) {
			cur = p
		}
	}
	if cur.State == storage.PinApproved {
		return ""
	}
	return ReasonRejected
}
