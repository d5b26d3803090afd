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
	subs: []*command{serveCmd, demoCmd, checkCmd, doctorCmd, auditCmd, keysCmd, clientsCmd, grantsCmd, toolsCmd, hashPasswordCmd, genKeyCmd, versionCmd},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return root.dispatch(ctx, root.name, args, stdout, stderr)
}
