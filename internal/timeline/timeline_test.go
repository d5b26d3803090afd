package timeline

import (
	"strings"
	"testing"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
)

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

const (
	cid  = "45UWB4D6A5VI3H6GEGNCCW5JMO"
	res  = "https://mcp.example/snippets"
	res2 = "https://mcp.example/files"
)

var cx = Context{Resources: []string{res, res2}}

// at returns e at t0 plus s seconds, for client cid unless it names one.
func at(s int, e audit.Event) audit.Event {
	e.Time = t0.Add(time.Duration(s) * time.Second)
	if e.ClientID == "" {
		e.ClientID = cid
	}
	return e
}

// success is a whole connection: registration through a first MCP call and
// more, under attempt a and grant g, starting at second s.
func success(s int, a, g string) []audit.Event {
	return []audit.Event{
		at(s, audit.Event{Type: audit.ClientRegistered, UserAgent: "node"}),
		at(s+1, audit.Event{Type: audit.AuthorizeStarted, Attempt: a, Resource: res, Scope: "snippets"}),
		at(s+5, audit.Event{Type: audit.SignInSucceeded, Attempt: a, Subject: "local:alice"}),
		at(s+8, audit.Event{Type: audit.ConsentGiven, Attempt: a, Subject: "local:alice", Scope: "snippets"}),
		at(s+8, audit.Event{Type: audit.AuthorizeCompleted, Attempt: a, GrantID: g, Rule: "consent_given"}),
		at(s+9, audit.Event{Type: audit.TokenIssued, GrantID: g, Resource: res, Scope: "snippets"}),
		at(s+10, audit.Event{Type: audit.MCPRequest, GrantID: g, Server: "snippets", Method: "initialize", Status: 200, Decision: audit.DecisionAllow}),
		at(s+11, audit.Event{Type: audit.MCPRequest, GrantID: g, Server: "snippets", Method: "tools/list", Status: 200, Decision: audit.DecisionAllow}),
		at(s+12, audit.Event{Type: audit.MCPRequest, GrantID: g, Server: "snippets", Method: "tools/call", Status: 200, Decision: audit.DecisionAllow}),
	}
}

func names(a Attempt) string {
	var out []string
	for _, s := range a.Steps {
		n := s.Name
		if !s.OK {
			n += "!"
		}
		out = append(out, n)
	}
	return strings.Join(out, " ")
}

// TestGrouping: events become attempts by attempt digest, by grant, and by
// time for the ones with neither; newest attempt first.
func TestGrouping(t *testing.T) {
	tests := []struct {
		name   string
		events []audit.Event
		// want is each attempt's steps, newest first ("!" marks a failure),
		// and its outcome.
		want     []string
		outcomes []string
	}{
		{"a whole connection", success(0, "a1", "g1"),
			[]string{"registration authorize sign-in consent consent token mcp"}, []string{Succeeded}},
		{"events in any order", reverse(success(0, "a1", "g1")),
			[]string{"registration authorize sign-in consent consent token mcp"}, []string{Succeeded}},
		{"a refusal, then a success an hour later", append([]audit.Event{
			at(-3600, audit.Event{Type: audit.AuthorizeRefused, Reason: "invalid_target", Resource: "https://mcp.example/nope"}),
		}, success(0, "a1", "g1")...),
			[]string{"registration authorize sign-in consent consent token mcp", "authorize!"}, []string{Succeeded, Failed}},
		{"a registration long before its attempt is an attempt of its own", []audit.Event{
			at(0, audit.Event{Type: audit.ClientRegistered}),
			at(3600, audit.Event{Type: audit.AuthorizeStarted, Attempt: "a1", Resource: res}),
		}, []string{"authorize", "registration"}, []string{Incomplete, Incomplete}},
		{"two attempts interleaved (two browsers)", []audit.Event{
			at(0, audit.Event{Type: audit.AuthorizeStarted, Attempt: "a1", Resource: res}),
			at(1, audit.Event{Type: audit.AuthorizeStarted, Attempt: "a2", Resource: res}),
			at(2, audit.Event{Type: audit.ConsentDenied, Attempt: "a1"}),
			at(3, audit.Event{Type: audit.SignInSucceeded, Attempt: "a2"}),
		}, []string{"authorize sign-in", "authorize consent!"}, []string{Incomplete, Failed}},
		{"a PKCE failure names the grant and joins its attempt", []audit.Event{
			at(0, audit.Event{Type: audit.AuthorizeStarted, Attempt: "a1", Resource: res}),
			at(5, audit.Event{Type: audit.SignInSucceeded, Attempt: "a1"}),
			at(6, audit.Event{Type: audit.AuthorizeCompleted, Attempt: "a1", GrantID: "g1", Rule: "consent_remembered"}),
			at(7, audit.Event{Type: audit.TokenFailed, GrantID: "g1", Reason: "invalid_grant", Detail: "the code_verifier does not match the code_challenge"}),
		}, []string{"authorize sign-in consent token!"}, []string{Failed}},
		{"a token failure without a grant joins the attempt just before", []audit.Event{
			at(0, audit.Event{Type: audit.AuthorizeStarted, Attempt: "a1", Resource: res}),
			at(6, audit.Event{Type: audit.AuthorizeCompleted, Attempt: "a1", GrantID: "g1", Rule: "consent_not_required"}),
			at(7, audit.Event{Type: audit.TokenFailed, Reason: "invalid_client", Detail: "client authentication failed"}),
		}, []string{"authorize consent token!"}, []string{Failed}},
		{"a token failure long after is its own attempt", []audit.Event{
			at(0, audit.Event{Type: audit.AuthorizeStarted, Attempt: "a1", Resource: res}),
			at(3600, audit.Event{Type: audit.TokenFailed, GrantType: "refresh_token", Reason: "invalid_grant", Detail: "the refresh token is invalid"}),
		}, []string{"token!", "authorize"}, []string{Failed, Incomplete}},
		{"MCP requests of a grant from before the window are not an attempt", []audit.Event{
			at(0, audit.Event{Type: audit.MCPRequest, GrantID: "old", Method: "tools/call", Status: 200, Decision: audit.DecisionAllow}),
		}, nil, nil},
		{"a first MCP call refused for a token of another resource", []audit.Event{
			at(0, audit.Event{Type: audit.AuthorizeStarted, Attempt: "a1", Resource: res2}),
			at(6, audit.Event{Type: audit.AuthorizeCompleted, Attempt: "a1", GrantID: "g1"}),
			at(7, audit.Event{Type: audit.TokenIssued, GrantID: "g1", Resource: res2}),
			at(8, audit.Event{Type: audit.MCPRequest, GrantID: "g1", Server: "snippets", Method: "http POST", Status: 401,
				Decision: audit.DecisionDeny, Reason: "invalid_token", Detail: "the access token is for another resource", Resource: res2}),
		}, []string{"authorize consent token mcp!"}, []string{Failed}},
		{"a metadata-document client shows its document fetched", []audit.Event{
			at(0, audit.Event{Type: audit.AuthorizeStarted, ClientID: "https://app.example/client.json", Attempt: "a1", Resource: res}),
		}, []string{"metadata authorize"}, []string{Incomplete}},
		{"a metadata document that could not be fetched", []audit.Event{
			at(0, audit.Event{Type: audit.AuthorizeRefused, ClientID: "https://app.example/client.json", Reason: "client_metadata_fetch_failed", Detail: "the document could not be retrieved"}),
		}, []string{"metadata!"}, []string{Failed}},
		{"refreshes and revocations are not steps", []audit.Event{
			at(0, audit.Event{Type: audit.TokenRefreshed, GrantID: "g1"}),
			at(1, audit.Event{Type: audit.GrantRevoked, GrantID: "g1"}),
		}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := Build(Client{ID: cid}, tt.events, cx, 0)
			if len(tl.Attempts) != len(tt.want) {
				var got []string
				for _, a := range tl.Attempts {
					got = append(got, names(a))
				}
				t.Fatalf("attempts = %q, want %q", got, tt.want)
			}
			for i, a := range tl.Attempts {
				if got := names(a); got != tt.want[i] || a.Outcome != tt.outcomes[i] {
					t.Errorf("attempt %d = %q %s, want %q %s", i, got, a.Outcome, tt.want[i], tt.outcomes[i])
				}
			}
		})
	}
}

func reverse(es []audit.Event) []audit.Event {
	out := make([]audit.Event, len(es))
	for i, e := range es {
		out[len(es)-1-i] = e
	}
	return out
}

// TestSuccessDetails: the attempt of a whole connection knows its user and
// grant, and counts the MCP requests after the first.
func TestSuccessDetails(t *testing.T) {
	a := Build(Client{ID: cid}, success(0, "a1", "g1"), cx, 0).Attempts[0]
	if a.Subject != "local:alice" || a.GrantID != "g1" || a.MoreMCP != 2 || a.Failed != "" || a.Why != "" {
		t.Errorf("attempt = %+v", a)
	}
	if mcp := a.Steps[len(a.Steps)-1]; mcp.Label != "First MCP request" || mcp.Detail != "initialize on snippets; HTTP 200" {
		t.Errorf("MCP step = %+v", mcp)
	}
}

// TestMaxKeepsNewest: a limit keeps the newest attempts.
func TestMaxKeepsNewest(t *testing.T) {
	var es []audit.Event
	for i := 0; i < 5; i++ {
		es = append(es, at(i*3600, audit.Event{Type: audit.AuthorizeRefused, Reason: "unknown_client"}))
	}
	tl := Build(Client{ID: cid}, es, cx, 2)
	if len(tl.Attempts) != 2 || !tl.Attempts[0].Start.Equal(t0.Add(4*time.Hour)) || !tl.Attempts[1].Start.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("attempts = %+v", tl.Attempts)
	}
}
