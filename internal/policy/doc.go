// Package policy decides who may use which MCP server, tool, prompt and
// resource.
//
// Each server has a policy: who may connect at all (users, groups,
// clients), an ordered list of rules, and a default decision. A rule names
// what it is about (tools, prompts or resources, by exact name or glob),
// who it is about (subjects, emails, groups, clients, scopes), an optional
// CEL condition over the identity and the request, an effect (allow or
// deny) and scopes an allowed call still needs. The first rule that
// applies decides; if none does, the default does.
//
// Policies are compiled once, at start; a bad glob or CEL expression is a
// configuration error with the rule's name in it.
package policy
