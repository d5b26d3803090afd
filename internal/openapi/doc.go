// Package openapi serves a REST API described by an OpenAPI 3.0, 3.1 or
// 3.2 document as an in-process MCP server: each operation becomes a tool,
// and a tools/call becomes one HTTP request to the configured base URL
// (docs/openapi.md).
//
// The gateway sits in front of the handler this package builds, exactly as
// it does for a stdio bridge (gateway.Backend.Handler): token, policy per
// tool, step-up, rate limits, audit and pinning apply unchanged. What this
// package owns is the translation, and the rules that keep the caller from
// steering it: a call's arguments can fill in the path, query, declared
// headers and JSON body of the operation it names, and nothing else; the
// request goes only to the base URL; no redirect is followed; the client's
// token never reaches the API (the backend's own credential is attached
// here, by the HTTP client, because an in-process handler is not proxied).
//
// # Library
//
// Parsing and $ref resolution use github.com/getkin/kin-openapi (openapi3).
// Compared with github.com/pb33f/libopenapi: both read 3.0 and 3.1
// (kin-openapi v0.153 also 3.2); kin-openapi resolves every $ref into typed
// Go values (a SchemaRef's Value), which is exactly the shape a converter
// to JSON Schema walks, with a small dependency set (a YAML decoder, a JSON
// pointer package, a JSON Schema validator); libopenapi keeps a low-level
// YAML node model under a high-level one, which pays off for diffing and
// linting but brings a larger tree of dependencies we would not use.
// External $refs (other files, other URLs) are refused: a document can then
// never make Drawbridge read a local file or fetch an arbitrary URL.
//
// # What is and is not supported
//
// Parameters in path (style simple), query (form, spaceDelimited,
// pipeDelimited with arrays, deepObject with flat objects; explode true or
// false) and header (simple); a JSON request body (application/json or
// any +json type). Operations that need something else (a required cookie
// parameter, label or matrix path styles, only non-JSON request bodies)
// are left out and listed by Build; including one by operationId is an
// error. allowReserved is ignored: reserved characters are always
// percent-encoded, which any server must accept. The document's own
// servers list is ignored: requests go to the configured base URL only.
//
// # Reloading
//
// A Server reads its document when it is built and again on Reload (the
// assembly calls it on SIGHUP, on openapi.refresh and for the admin API's
// reload action): the same Source,
// so the same size cap, fetch client and refusal of redirects and
// external $refs, and the same Filter. A reloaded document is as hostile
// as the first one and goes through the same Load and Build. The new
// tools are served by a new handler swapped in atomically; a document
// that fails to load or build leaves the current one serving. Changed
// definitions are for the gateway to judge: tool pinning sees them in the
// next tools/list, as it sees any backend's.
//
// # Use from a composed server
//
// Load and Build turn a document into a Set of *Tool (the MCP definition
// plus how to call it) independently of any MCP server, and Client.Call
// runs one call of a Tool; Handler only puts the tools on an SDK server.
// A composed server can therefore take an OpenAPI source as one backend:
// list its Tools under its own names (a rename changes Def, not how the
// call is built), and route a call to Client.Call with the raw arguments,
// in a context that carries the caller (Client.Caller) so the backend's
// credential is the one for that user. Which operations are served is
// decided by package opfilter, which configuration validation shares.
package openapi
