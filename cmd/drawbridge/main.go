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

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// root is the command tree. A new command is a *command in its own file,
// listed here.
var root = &command{
	name:    "drawbridge",
	summary: "an OAuth 2.1 authorization gateway for MCP servers",
	about: `Drawbridge is an OAuth 2.1 authorization gateway for MCP servers: the authorization server
MCP clients sign in with, and the gateway in front of the MCP servers behind it.`,
	examples: []string{
		"drawbridge demo",
		"drawbridge check --config drawbridge.yaml",
		"drawbridge serve --config drawbridge.yaml",
	},
	subs: []*command{serveCmd, demoCmd, checkCmd, doctorCmd, auditCmd, keysCmd, clientsCmd, grantsCmd, hashPasswordCmd, genKeyCmd, versionCmd},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return root.dispatch(ctx, root.name, args, stdout, stderr)
}
