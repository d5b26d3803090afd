package timeline

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Window is how far apart in time events without a shared attempt or grant
// may be and still be placed in the same attempt.
const Window = 10 * time.Minute

// Step names, in the order a connection goes through them.
const (
	StepMetadata     = "metadata"
	StepRegistration = "registration"
	StepAuthorize    = "authorize"
	StepSignIn       = "sign-in"
	StepConsent      = "consent"
	StepToken        = "token"
	StepMCP          = "mcp"
)

var stepOrder = map[string]int{StepMetadata: 0, StepRegistration: 1, StepAuthorize: 2, StepSignIn: 3, StepConsent: 4, StepToken: 5, StepMCP: 6}

// Outcomes of an attempt.
const (
	Succeeded  = "succeeded"  // through to an MCP call that was answered
	Failed     = "failed"     // a step failed
	Incomplete = "incomplete" // stopped, or still going, without a failure
)

// Step is one step of an attempt.
type Step struct {
	Name  string    `json:"name"`
	Label string    `json:"label"`
	Time  time.Time `json:"time"`
	OK    bool      `json:"ok"`
	// What happened, from the event: the resource, scopes, status...
	Detail string `json:"detail,omitempty"`
	// Why and Fix explain a failed step in plain words.
	Why string `json:"why,omitempty"`
	Fix string `json:"fix,omitempty"`
}

// Attempt is one try at connecting, oldest step first.
type Attempt struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Subject string    `json:"sub,omitempty"`
	GrantID string    `json:"grant_id,omitempty"`
	Outcome string    `json:"outcome"`
	// Failed names the step that failed; Why and Fix are its explanation,
	// or, for an incomplete attempt, where it stopped.
	Failed string `json:"failed_step,omitempty"`
	Why    string `json:"why,omitempty"`
	Fix    string `json:"fix,omitempty"`
	Steps  []Step `json:"steps"`
	// MoreMCP counts the MCP requests after the first.
	MoreMCP int `json:"more_mcp_requests,omitempty"`
}

// Timeline is a client's recent attempts, newest first.
type Timeline struct {
	ClientID string    `json:"client_id"`
	Family   *Family   `json:"family,omitempty"`
	Attempts []Attempt `json:"attempts"`
}

// Context is what explanations need to know about this server.
type Context struct {
	// Resources are the MCP servers' resource URLs.
	Resources []string
}

// Decode reads stored audit records; records that do not parse are skipped.
func Decode(recs []storage.AuditRecord) []audit.Event {
	out := make([]audit.Event, 0, len(recs))
	for _, r := range recs {
		var e audit.Event
		if json.Unmarshal(r.Payload, &e) == nil {
			out = append(out, e)
		}
	}
	return out
}

// Build makes the timeline of client from its events (any order) and
// keeps the newest max attempts (all when max <= 0).
func Build(client Client, events []audit.Event, cx Context, max int) Timeline {
	groups := group(events)
	tl := Timeline{ClientID: client.ID, Family: Recognise(client, userAgents(events))}
	for _, g := range groups {
		tl.Attempts = append(tl.Attempts, g.attempt(cx))
	}
	sort.SliceStable(tl.Attempts, func(i, j int) bool { return tl.Attempts[i].Start.After(tl.Attempts[j].Start) })
	if max > 0 && len(tl.Attempts) > max {
		tl.Attempts = tl.Attempts[:max]
	}
	return tl
}

func userAgents(events []audit.Event) []string {
	var out []string
	for _, e := range events {
		if e.UserAgent != "" {
			out = append(out, e.UserAgent)
		}
	}
	return out
}

// isMetadataClient: the client_id is a metadata document's URL (CIMD).
func isMetadataClient(id string) bool { return strings.HasPrefix(id, "https://") }
