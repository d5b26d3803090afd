// Package compose serves a composed ("virtual") MCP server: one Streamable
// HTTP endpoint over several member MCP servers (URL backends, stdio
// bridges, OpenAPI servers), for both protocol eras.
//
// The gateway puts a [Server] in front of clients as an in-process backend
// (gateway.Backend.Handler): every request reaching it has passed the token
// check, policy on the names the client sees, pinning and rate limits, and
// carries no client credential. Each member is reached through its own
// http.Client (Member.Client), whose transport attaches the member's
// credential for the caller found in the request's context. Redirects from
// members are never followed.
//
// # Messages
//
// The server works at the JSON-RPC message level, as internal/stdio does:
// params and results pass through as raw JSON and only what must change is
// spliced into the original bytes (a tool or prompt name, request ids,
// requestId in notifications/cancelled), so fields this package does not
// know survive. It is not built from the SDK's mcp.Server and mcp.Client:
// typed values drop fields, and a member's progress and requests could not
// be tied to the client stream they belong to.
//
// # Names
//
// A member's tools and prompts are shown as Prefix+name, or under an
// Override's Name; Include and Exclude (path.Match globs on the member's
// own name) filter them, and an Override's Title and Description replace
// the member's. New refuses configured names that would be equal (two
// overrides, an override and another member's prefixed Include literal).
// At run time a name two members announce belongs to the earlier member in
// Options.Members; the later one's is left out of lists and reported once
// through Observer.Shadowed (again only if it stops and starts again).
//
// Routing a call: the configuration says which members could show the
// name. If only one could, the call goes to it (it answers for names it
// does not have). If several could, the owner is the earliest of them that
// lists the name: a legacy session knows it from its last list (forgotten
// when a member says its list changed); otherwise those members are asked
// for their lists then. A name no member shows, filtered out or shadowed,
// gets the SDK's own error for an unknown tool or prompt (-32602, "unknown
// tool …") and reaches no member. Resources keep their URIs: a URI goes to
// the earliest member that lists it, else to the earliest member with a
// resource template it matches; a URI no member lists or matches gets
// "Resource not found" (-32602) rather than a guess. completion/complete
// follows its ref (a prompt by name, a resource template by the member
// listing it); logging/setLevel goes to every member.
//
// # Lists
//
// tools/list, prompts/list, resources/list and resources/templates/list
// fan out to every member concurrently. Each member's own pages are
// followed (at most 64 pages and 32 MiB per member and list), the items
// mapped and merged in member order, and the result paginated with the
// composed server's own cursor: the offset of the next item and the key of
// the last one given, so that a page starts after that item even if an
// earlier one went away. A cursor is read strictly; one the server did not
// write is Invalid params (-32602). A member that is down, slow (Timeout)
// or answers garbage is left out of the list, which still answers;
// Observer.MemberDown and MemberUp say when that changes and Health shows
// the state.
//
// # Legacy-era sessions (2025-03-26 … 2025-11-25)
//
// initialize is answered by the composed server itself: its own serverInfo,
// every capability it can carry (tools, prompts and resources with
// listChanged, resource subscriptions, completions, logging) and the
// version negotiated as the SDK does. The session id is random. A member
// session is opened the first time a request needs that member, with the
// client's initialize params, and closed (DELETE) when the client's
// session ends: DELETE, SessionIdle without use, or Close. A member that
// ends its session (404) gets a new one, once, transparently.
//
// A call's answer is relayed on the client's response as the member gave
// it: JSON if the member answered JSON, an SSE stream (an event per
// message, flushed) if it streamed, with the member's progress, logging and
// requests (sampling, elicitation, roots/list) on that stream. A member's
// request reaches the client under an id of the composed server's own
// ("drawbridge-compose-N"); the client's answer goes back to that member
// with the member's id, and is accepted only from the session that was
// asked (anything else: 400). notifications/cancelled from the client goes
// to the member serving that request; a client that closes its stream
// cancels the member request the same way. GET opens the client's
// standalone stream, over which the members' own GET streams are merged
// (a member answering 405 has none); list_changed and resources/updated
// reach the client there, or on a call's stream when they come with it.
// JSON-RPC batches (2025-03-26) are refused: no current client sends them.
//
// # The 2026-07-28 era
//
// Without a session nothing is held: server/discover is answered by the
// composed server; every other request goes, with its _meta untouched and
// the member's own name in params and in Mcp-Name, and a tools/call with
// the client's Mcp-Param-* headers (they mirror arguments, which are not
// changed), to its owner (lists to every member). input_required results pass through as results. A member
// cannot send requests without a session; one that tries is answered with
// an error. A member that does not speak 2026-07-28 (UnsupportedProtocol
// Version, or a discover result without it) is remembered, and from then
// on 2026-07-28 requests, server/discover included, get
// UnsupportedProtocolVersion (400) listing the session versions, so that
// clients fall back to a session, in which every member works. discover
// asks members whose era is not known yet, so clients learn this first.
// subscriptions/listen fans out: one listen request per member with
// something to send (a resource subscription goes to the URI's owner), one
// acknowledgement to the client (the union of the members'), then the
// members' notifications on the client's stream under the client's
// subscription id, until the client closes it.
//
// # Check
//
// Check opens a session of its own with every member that does not need a
// user, lists its tools and prompts, and reports every problem at once:
// an unreachable member, a name two members would both show, an Include
// literal or Override key that names nothing.
package compose
