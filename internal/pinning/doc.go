// Package pinning defends against MCP servers that change a tool after it
// was approved (tool poisoning, the "rug pull"): a description rewritten
// to steer the model, a schema that now asks for more. Drawbridge records
// every tool definition each server shows in a tools/list result, pinned
// by the SHA-256 of its canonical JSON (Read: name, title, description,
// inputSchema, outputSchema and annotations), and withholds what is not
// approved:
//
//   - Warn records and audits changes, and withholds nothing.
//   - Hide (the default) removes a changed tool from lists and refuses
//     calls to it until an administrator approves the change.
//   - Block also withholds tools never seen before, except those of the
//     first list a server ever showed.
//
// What is seen first is trusted on first use (TrustOnFirstUse), or waits
// for an administrator like any change (AdminApproval).
//
// Pins live in the store (storage.ToolPinStore). Each Guard keeps the
// pins of each server it last read, for RefreshEvery (2 s), so that a busy
// gateway does not read the store on every tools/call (that read was a
// fifth of the gateway's CPU under load). What this process does takes
// effect at once: a list it relays that shows something new is written
// and the kept pins dropped, and the administrator actions call Forget
// after deciding. What another replica records, or the command line
// decides, reaches this one within RefreshEvery, as a revoked grant's
// tokens are refused within the revocation list's refresh. Writes happen
// only when a list shows something new.
//
// The gateway calls FilterTools on every tools/list result it relays
// (JSON or SSE, single or batched, every page of a paginated list) and
// CheckCall on every tools/call it admits, so a client that calls a tool
// without listing it is refused the same way. A composed server (several
// servers behind one endpoint) applies each of its servers' Pins to that
// server's share of the list and calls.
//
// Names are compared as servers might compare them loosely (NameKey): a
// call to "Save" is decided on every pinned tool named like "save", and a
// new tool whose name looks like a known one is never trusted on first
// use.
//
// What pinning cannot do: it pins what the model is shown, not what a
// server does when called; and it learns a definition from the lists it
// relays, so a change is caught from the first list that shows it.
// Servers that show each user different definitions of one tool will see
// their tools flagged as changed; run them with Off or Warn.
package pinning
