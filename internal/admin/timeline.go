package admin

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/timeline"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// How much of the trail a timeline reads: the events of the last
// TimelineWindow, at most timelineReads of each kind (the oldest first, as
// the store lists them), and the first mcpReads MCP requests after each
// attempt's start, to find its first call. TimelineAttempts are shown.
const (
	TimelineWindow   = 7 * 24 * time.Hour
	TimelineAttempts = 20
	timelineReads    = 2000
	mcpReads         = 50
)

// timelineTypes are the audit events a timeline is built from, apart from
// MCP requests (read per attempt).
var timelineTypes = []string{audit.ClientRegistered, audit.AuthorizeStarted, audit.AuthorizeRefused, audit.AuthorizeCompleted,
	audit.SignInSucceeded, audit.SignInFailed, audit.ConsentGiven, audit.ConsentDenied, audit.TokenIssued, audit.TokenFailed}

// ClientTimeline is the client's recent authorization attempts, newest
// first (package timeline). c describes the client as far as it is known.
func (a *API) ClientTimeline(ctx context.Context, c timeline.Client) (timeline.Timeline, error) {
	from := a.opt.Now().Add(-TimelineWindow)
	var events []audit.Event
	for _, typ := range timelineTypes {
		recs, err := a.opt.Store.ListAudit(ctx, storage.AuditFilter{Type: typ, ClientID: c.ID, From: from, Limit: timelineReads})
		if err != nil {
			return timeline.Timeline{}, err
		}
		events = append(events, timeline.Decode(recs)...)
	}
	firstUse := map[string]time.Time{} // grant → its earliest event
	for _, e := range events {
		if t, ok := firstUse[e.GrantID]; e.GrantID != "" && (!ok || e.Time.Before(t)) {
			firstUse[e.GrantID] = e.Time
		}
	}
	for grant, t := range firstUse {
		recs, err := a.opt.Store.ListAudit(ctx, storage.AuditFilter{Type: audit.MCPRequest, ClientID: c.ID, From: t, Limit: mcpReads})
		if err != nil {
			return timeline.Timeline{}, err
		}
		for _, e := range timeline.Decode(recs) {
			if e.GrantID == grant {
				events = append(events, e)
			}
		}
	}
	return timeline.Build(c, events, timeline.Context{Resources: a.resources()}, TimelineAttempts), nil
}

// TimelineClient describes a client for its timeline from the store; a
// client the store does not hold (a metadata-document client, one from the
// configuration, one deleted) is known by its id.
func (a *API) TimelineClient(ctx context.Context, id string) (timeline.Client, error) {
	c, err := a.opt.Store.GetClient(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return timeline.Client{ID: id}, nil
	}
	if err != nil {
		return timeline.Client{}, err
	}
	return timeline.ClientOf(c), nil
}

func (a *API) resources() []string {
	out := make([]string, 0, len(a.opt.Backends))
	for _, b := range a.opt.Backends {
		out = append(out, b.Resource)
	}
	return out
}

// clientTimeline answers GET /admin/api/timeline?client_id=...: a query
// parameter, since a metadata-document client's id is a URL.
func (a *API) clientTimeline(w http.ResponseWriter, r *http.Request, _ *tokens.AccessClaims) {
	id := r.URL.Query().Get("client_id")
	if id == "" || len(id) > 512 {
		writeJSON(w, http.StatusBadRequest, apiError{Error: "invalid_request", Message: "client_id is required (at most 512 bytes)"})
		return
	}
	c, err := a.TimelineClient(r.Context(), id)
	if err != nil {
		a.fail(w, err)
		return
	}
	tl, err := a.ClientTimeline(r.Context(), c)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tl)
}
