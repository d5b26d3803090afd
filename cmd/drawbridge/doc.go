// Command drawbridge is an OAuth 2.1 authorization gateway for MCP servers.
//
//	drawbridge demo                       everything on loopback, no setup
//	drawbridge serve --config FILE        run from a configuration file
//	drawbridge check --config FILE        validate a configuration file
//	drawbridge doctor URL                 check a running deployment as clients see it
//	drawbridge audit verify|list          check or read the audit trail
//	drawbridge keys|clients|grants …      administer the store
//	drawbridge hash-password              hash a local user's password
//	drawbridge gen-key                    make an encryption key
//	drawbridge version
//
// Every command answers -h with what it does, its flags and an example
// (command.go).
package main
