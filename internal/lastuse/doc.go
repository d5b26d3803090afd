// Package lastuse records when grants were last used by MCP requests,
// without a database write per request: access tokens are verified in
// memory, so the verifier only notes the grant here, and Flush writes what
// was noted, at most once per grant per interval. "Last used" is therefore
// accurate to that interval (a minute by default), which is what a person
// deciding whether an agent is still in use needs.
package lastuse
