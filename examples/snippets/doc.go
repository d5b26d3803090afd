// Package snippets is a small remote MCP server used as Drawbridge's sample
// backend: the Go equivalent of Microsoft's Azure Functions remote-MCP
// sample, built on the official MCP Go SDK.
//
// # Tools
//
// The tools and their argument names match the Microsoft sample so the same
// prompts and clients work against either:
//
//   - hello_mcp: no arguments; replies "Hello I am MCP Tool!", or
//     "Hello <subject>, I am MCP Tool!" when a trusted gateway named the caller.
//   - save_snippet(snippetname, snippet): stores text under a name,
//     replacing any earlier snippet of that name.
//   - get_snippet(snippetname): returns the stored text.
//
// A missing snippet, an invalid name or an oversized snippet is reported as
// a tool error (a result with isError set), which the model can read and act
// on, rather than a JSON-RPC error. Names are 1 to 128 bytes of
// [A-Za-z0-9._-] that do not start with '.', so a name is always a plain file
// name inside the data directory; the store also opens files only through
// an os.Root as a second line of defence.
//
// # Storage
//
// Each snippet is one file, <name>.snippet, in the data directory. A save
// writes a fresh temporary file, fsyncs it, renames it over the old one and
// fsyncs the directory, so a crash or a concurrent save never leaves a torn
// snippet, and snippets survive a restart. Concurrent saves of one name are
// last-writer-wins. Names are case-sensitive; on a case-insensitive file
// system "A" and "a" are the same snippet.
//
// # Access key and identity headers
//
// Like an Azure Function, every request must carry a shared key, by default
// in the x-functions-key header. A missing or wrong key gets 401 with the
// body {"error":"unauthorized"}; the comparison is constant-time and the key
// is never logged or echoed. The key header is removed before the request
// reaches the MCP layer.
//
// In a Drawbridge deployment the key is the backend credential that only the
// gateway holds; MCP clients never see it. After authenticating the user,
// Drawbridge sets X-Drawbridge-Subject (and X-Drawbridge-Email). This
// server believes those headers only because the same request also
// presented the key: anyone able to send the key could also forge them,
// and without the key the request is refused before the headers are read.
// When the server runs with no key at all (InsecureNoKey), the identity
// headers are stripped and ignored.
//
// # Protocol versions
//
// The endpoint is Streamable HTTP at /mcp, served by the SDK's
// StreamableHTTPHandler. go-sdk v1.8.0 knows protocol versions 2026-07-28,
// 2025-11-25, 2025-06-18, 2025-03-26 and 2024-11-05; what it negotiates
// depends on the mode:
//
//   - Stateful (the default): legacy-era sessions with Mcp-Session-Id, a GET
//     stream and DELETE. initialize negotiates the client's version if it is
//     one of 2025-11-25, 2025-06-18, 2025-03-26 or 2024-11-05, else
//     2025-11-25. A 2026-07-28 request is refused with the SEP-2575
//     "unsupported protocol version" error listing those legacy versions;
//     the SDK's own client (which tries server/discover at 2026-07-28 first)
//     then falls back to initialize at 2025-11-25.
//   - Stateless (Options.Stateless): no sessions, POST only. In addition to
//     the legacy versions above it serves the 2026-07-28 era
//     (server/discover, per-request metadata), which the SDK's client
//     negotiates by default.
//
// The SDK also refuses, with 403, requests that reach a loopback listener
// with a non-loopback Host header (DNS-rebinding protection), so a proxy in
// front of this server must send the backend's own host.
package snippets
