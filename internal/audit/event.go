package audit

import (
	"encoding/json"
	"time"
)

// Event types.
const (
	ClientRegistered = "client.registered"
	// AuthorizeStarted: an authorization request was accepted and the
	// browser sent to sign in; AuthorizeRefused: it was not (an error page,
	// or an error sent back to the client); AuthorizeCompleted: a code was
	// sent back to the client (GrantID is the grant it will create).
	AuthorizeStarted   = "authorize.started"
	AuthorizeRefused   = "authorize.refused"
	AuthorizeCompleted = "authorize.completed"
	SignInSucceeded    = "signin.succeeded"
	SignInFailed       = "signin.failed"
	ConsentGiven       = "consent.given"
	ConsentDenied      = "consent.denied"
	ConsentRevoked     = "consent.revoked"
	TokenIssued        = "token.issued"
	TokenRefreshed     = "token.refreshed"
	// TokenExchanged: Drawbridge, as an enterprise IdP, issued an identity
	// assertion grant (ID-JAG) for another authorization server (Audience)
	// by token exchange; AssertionID is its jti.
	TokenExchanged = "token.exchanged"
	// TokenFailed: the token endpoint answered an error.
	TokenFailed    = "token.failed"
	GrantRevoked   = "grant.revoked"
	RefreshReuse   = "token.refresh_reuse_detected"
	CodeReplay     = "token.code_replay_detected"
	UpstreamLogout = "upstream.logout"
	MCPRequest     = "mcp.request"
	// Tool definition pinning (package pinning): a definition trusted on
	// first use, a changed or new one waiting for an administrator, an
	// administrator's decision, and a call refused because the tool's
	// definition is not approved.
	ToolPinned   = "tool.pinned"
	ToolChanged  = "tool.changed"
	ToolNew      = "tool.new"
	ToolApproved = "tool.approved"
	ToolRejected = "tool.rejected"
	ToolRefused  = "tool.refused"
	// ToolShadowed: a composed server's member announced a tool or prompt
	// name another member owns; it was left out (Backend is the member,
	// Detail the owner).
	ToolShadowed  = "tool.shadowed"
	DecisionAllow = "allow"
	DecisionDeny  = "deny"
)

// Event is one audit event. Fields that do not apply are left empty.
type Event struct {
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	RequestID string    `json:"request_id,omitempty"`
	// Attempt ties together the events of one authorization request
	// (authorize, sign-in, consent, code): a digest of the request's id,
	// never the id itself.
	Attempt  string `json:"attempt,omitempty"`
	Subject  string `json:"sub,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	GrantID  string `json:"grant_id,omitempty"`
	// Actor is who revoked a grant, when a person did (grant.revoked).
	Actor  string `json:"actor,omitempty"`
	Remote string `json:"remote,omitempty"`
	// UserAgent is the caller's User-Agent (UserAgent cleans and truncates
	// it), on the events a client's own HTTP stack sends: registration
	// and token requests.
	UserAgent string `json:"user_agent,omitempty"`
	// GrantType, Scope and Resource describe token events.
	GrantType string `json:"grant_type,omitempty"`
	Scope     string `json:"scope,omitempty"`
	Resource  string `json:"resource,omitempty"`
	// IdP and AssertionID name, for a token issued for an identity
	// assertion grant (ID-JAG), the enterprise identity provider that
	// issued it and the assertion's jti.
	IdP         string `json:"idp,omitempty"`
	AssertionID string `json:"assertion_id,omitempty"`
	// Audience is, on token.exchanged, the authorization server the
	// identity assertion grant was issued for.
	Audience string `json:"audience,omitempty"`
	// Server, Method and Name describe MCP requests: the server's name,
	// the JSON-RPC method and the tool, prompt or resource it names.
	Server string `json:"server,omitempty"`
	Method string `json:"method,omitempty"`
	Name   string `json:"name,omitempty"`
	// Backend and BackendName say, for a request to a composed server,
	// which member served it and the member's own name for what the
	// client called Name.
	Backend     string `json:"backend,omitempty"`
	BackendName string `json:"backend_name,omitempty"`
	// ToolHash names the tool definition a tool.* event is about: the
	// SHA-256 of its canonical JSON (see package pinning).
	ToolHash string `json:"tool_hash,omitempty"`
	// Decision is allow or deny; Rule says what decided.
	Decision string `json:"decision,omitempty"`
	Rule     string `json:"rule,omitempty"`
	// Reason is a short machine-readable cause for failures and denials.
	Reason string `json:"reason,omitempty"`
	// Detail says why in words: the error_description sent to the client,
	// or the upstream identity provider's error (Detail cleans and
	// truncates it). It never holds a token, code, secret or state.
	Detail     string  `json:"detail,omitempty"`
	Status     int     `json:"status,omitempty"`
	DurationMS float64 `json:"duration_ms,omitempty"`
	// Count is how many grants an upstream logout ended.
	Count    int   `json:"count,omitempty"`
	BytesIn  int64 `json:"bytes_in,omitempty"`
	BytesOut int64 `json:"bytes_out,omitempty"`
	// Arguments are a tool call's arguments, only when configured, redacted.
	Arguments json.RawMessage `json:"arguments,omitempty"`
}
