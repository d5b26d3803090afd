// Package jsonrpc is the gateway's one strict reading of a JSON-RPC request
// body. Every decision the gateway makes about a request (policy, step-up,
// list filtering, rate limits and quotas, the audit record, the MCP request
// headers) is taken on what Read returns, and what is forwarded to the
// backend is the canonical encoding Read produced from the same parse, so
// that the gateway and the backend cannot read two different requests out
// of one body.
//
// Read refuses, rather than guesses at, anything two JSON parsers could read
// differently: text that is not JSON (RFC 8259) or not valid UTF-8, lone
// UTF-16 surrogates in escapes, a byte-order mark, data after the value,
// nesting deeper than MaxDepth, duplicate member names in any object —
// including names that are equal under Unicode case folding, which some
// parsers match case-insensitively — and, in the members the gateway reads,
// names that differ from the expected ones only in case. The refusal is a
// JSON-RPC error (-32700 for text that is not JSON, -32600 for a message
// that is not a valid request, -32602 for parameters the gateway needs and
// cannot read), never a guess.
//
// The package is also the gateway's one vocabulary of JSON-RPC errors: the
// codes it answers with (Code...), the error object (Error) and its
// encoding as a response (ErrorResponse), so that Read's refusals and the
// gateway's own are written the same way.
package jsonrpc
