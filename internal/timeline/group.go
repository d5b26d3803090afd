package timeline

import (
	"sort"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
)

// groupOf is the events of one attempt, in time order.
type groupOf struct {
	events []audit.Event
	grant  string
	// mcp counts MCP requests; only the first is kept in events.
	mcp int
}

func (g *groupOf) last() audit.Event { return g.events[len(g.events)-1] }

func (g *groupOf) has(typ string) bool {
	for _, e := range g.events {
		if e.Type == typ {
			return true
		}
	}
	return false
}

// relevant are the event types a timeline is made of. Refreshes, grant
// revocations and admin actions are not steps of connecting.
var relevant = map[string]bool{
	audit.ClientRegistered: true, audit.AuthorizeStarted: true, audit.AuthorizeRefused: true, audit.AuthorizeCompleted: true,
	audit.SignInSucceeded: true, audit.SignInFailed: true, audit.ConsentGiven: true, audit.ConsentDenied: true,
	audit.TokenIssued: true, audit.TokenFailed: true, audit.MCPRequest: true,
}

// group sorts events into attempts (see the package documentation).
func group(events []audit.Event) []*groupOf {
	evs := make([]audit.Event, 0, len(events))
	for _, e := range events {
		if relevant[e.Type] {
			evs = append(evs, e)
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	var groups []*groupOf
	byAttempt := map[string]*groupOf{}
	byGrant := map[string]*groupOf{}
	var pending []audit.Event // registrations waiting for the attempt after them
	open := func(e audit.Event) *groupOf {
		g := &groupOf{}
		for _, p := range pending {
			if e.Time.Sub(p.Time) <= Window {
				g.events = append(g.events, p)
			} else {
				groups = append(groups, &groupOf{events: []audit.Event{p}})
			}
		}
		pending = nil
		groups = append(groups, g)
		return g
	}
	for _, e := range evs {
		var g *groupOf
		switch {
		case e.Type == audit.ClientRegistered:
			pending = append(pending, e)
			continue
		case e.Attempt != "":
			if g = byAttempt[e.Attempt]; g == nil {
				g = open(e)
				byAttempt[e.Attempt] = g
			}
			if e.Type == audit.AuthorizeCompleted && e.GrantID != "" {
				g.grant = e.GrantID
				byGrant[e.GrantID] = g
			}
		case e.GrantID != "":
			if g = byGrant[e.GrantID]; g == nil {
				if e.Type == audit.MCPRequest {
					continue // a grant from before the window: not an attempt
				}
				g = open(e)
				g.grant = e.GrantID
				byGrant[e.GrantID] = g
			}
		case e.Type == audit.TokenFailed:
			if g = recent(groups, e); g == nil {
				g = open(e)
			}
		case e.Type == audit.MCPRequest:
			continue // names no grant: nothing to join
		default: // authorize.refused
			g = open(e)
		}
		if e.Type == audit.MCPRequest {
			g.mcp++
			if g.mcp > 1 {
				continue
			}
		}
		g.events = append(g.events, e)
	}
	for _, p := range pending {
		groups = append(groups, &groupOf{events: []audit.Event{p}})
	}
	return groups
}

// recent is the attempt a token failure with no grant belongs to: the
// latest, if it ended within Window before and has no token yet.
func recent(groups []*groupOf, e audit.Event) *groupOf {
	for i := len(groups) - 1; i >= 0; i-- {
		g := groups[i]
		if len(g.events) == 0 {
			continue
		}
		if e.Time.Sub(g.last().Time) > Window || g.has(audit.TokenIssued) {
			return nil
		}
		return g
	}
	return nil
}
