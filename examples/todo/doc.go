// Package todo is a small REST API (a to-do list) described by an OpenAPI
// document, openapi.yaml, shipped beside it: `drawbridge demo` serves it
// on loopback and shows its operations as tools of a composed server,
// next to the snippets MCP server's (docs/virtual-servers.md).
//
// The API keeps its items in memory. Every request must carry the key
// given to New in the X-Api-Key header (401 otherwise, compared in
// constant time); bodies are JSON, read strictly (unknown fields and
// trailing data refused) and bounded.
package todo
