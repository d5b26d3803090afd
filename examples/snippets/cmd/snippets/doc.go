// Command snippets runs the sample snippets MCP server on its own. See
// examples/snippets/README.md.
package main
