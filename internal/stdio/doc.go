// Package stdio runs an MCP server that speaks the stdio transport (a local
// command: newline-delimited JSON-RPC on stdin/stdout, logs on stderr) and
// serves it as a Streamable HTTP MCP endpoint, so that the gateway can put
// it behind the same authorization, policy and audit as a URL backend.
//
// A [Bridge] is an [http.Handler]. The gateway hands it requests that are
// already authenticated and stripped of client credentials; the bridge
// ignores the URL path and reads only the MCP headers (Mcp-Session-Id,
// MCP-Protocol-Version, Mcp-Method, Mcp-Name, Content-Type, Accept).
//
// # Bridging
//
// The bridge works at the JSON-RPC message level: it decodes messages with
// the Go SDK's jsonrpc package and passes params and results through as raw
// JSON, so fields it does not know survive. It rewrites only what must be
// rewritten to share one stdio channel: request ids (each process sees ids
// the bridge allocates), progress tokens, and the request ids inside
// notifications/cancelled and 2026-07-28 subscription ids.
//
// Legacy-era sessions (2025-03-26 … 2025-11-25) behave as the transport
// defines them: an initialize without Mcp-Session-Id opens a session and
// the response carries its id; POST sends messages (202 for notifications
// and responses; for calls a JSON body, or an SSE stream when notifications
// or server requests come first); GET opens the one standalone SSE stream;
// DELETE ends the session (204); an unknown or ended session gets 404.
// Server-to-client requests (sampling, elicitation, roots) and the client's
// answers flow both ways. Streams send keep-alive comments when quiet. The
// bridge sends no SSE event ids, so streams are not resumable.
//
// Why not the SDK's StreamableServerTransport: it can relate a server
// message to the POST it belongs to only through a context key that the
// SDK's own ServerSession sets and that no other package can set; a raw
// bridge would send every progress notification and sampling request to
// the GET stream, and lose them when the client has none open. It also
// rejects methods the SDK does not know, which a bridge must pass through.
//
// # Dialed servers
//
// With Options.Dial the bridge runs over a [Conn] instead of a process:
// the same bridging, one Conn per session (per-session mode only, since a
// Conn may carry the credential of the caller who opened it). Package
// sseclient dials servers of the 2024-11-05 HTTP+SSE transport this way,
// for composed servers' members.
//
// # Processes
//
// In per-session mode (the default) each session starts its own process;
// DELETE, the idle timeout or Close stop it. In Shared mode one process
// serves every session: its own initialize happens once, later sessions'
// initialize get the cached InitializeResult (with the version the process
// negotiated), and notifications/initialized is forwarded once.
//
// The child gets only PATH, HOME and LANG from the gateway's environment,
// plus Options.Env: the gateway's environment holds secrets. It runs in its
// own process group, without a shell. Every stderr line is logged at info
// level with the server name, cut at 4 KiB.
//
// When a process exits unexpectedly, every call in flight gets a JSON-RPC
// error at once and the exit status is logged; a per-session process ends
// its session (later requests: 404), a shared one is restarted with
// exponential backoff (Options.Restart: 100 ms doubling to 30 s, reset
// once a process has run for 30 s), initialized again with the first
// session's initialize, and its sessions carry on. Close and session end
// close stdin, wait, send SIGTERM to the process group, wait, send
// SIGKILL, and reap.
//
// # Shared mode: what one stdio channel can and cannot express
//
// Routed exactly: responses (by the bridge's id), progress (by the
// bridge's token), the client's answers to server requests (by the
// server's id, accepted only from the session that was asked),
// cancellations both ways, resources/updated (to the sessions that
// subscribed; the process hears unsubscribe only when the last subscriber
// leaves), list_changed notifications (to every session).
//
// Not expressible, so decided: a server-to-client request or a logging
// notification names no request on stdio. It goes to the only session
// there is, or else to the only session with calls in flight; otherwise a
// request is answered with an error to the process and a notification is
// dropped. ping from the process is answered by the bridge. The process
// sees the first session's client capabilities and clientInfo, and
// logging/setLevel from any session sets the level for all. After a
// restart, sessions keep their ids, but state the server kept for them
// (other than resource subscriptions, which are renewed) is gone.
//
// # The 2026-07-28 revision
//
// A POST without a session whose MCP-Protocol-Version (or _meta protocol
// version) is 2026-07-28 or later is a sessionless request. In Shared mode
// it is validated (Mcp-Method, Mcp-Name and the version header against the
// body) and relayed to a second shared process, which must speak
// 2026-07-28 itself; the bridge does not translate between eras. Closing
// its response stream cancels it. If the server's answer to
// server/discover lists no 2026-07-28 version, or it does not answer
// within 10 s, that process is stopped and such requests get
// UnsupportedProtocolVersion (400) listing the session-based versions, so
// clients fall back to initialize. Per-session mode always answers so.
//
// The SDK's server transport supports 2026-07-28 only in its stateless
// mode, where a server cannot send requests; the bridge has the same
// limit for the same reason (no session to answer on): a request from the
// process during a sessionless call is answered with an error.
package stdio
