// Command drawbridge is an OAuth 2.1 authorization gateway for MCP servers.
//
//	drawbridge demo                       everything on loopback, no setup
//	drawbridge serve --config FILE        run from a configuration file
//	drawbridge check --config FILE        validate a configuration file
//	drawbridge doctor URL                 check a running deployment as clients see it
//	drawbridge audit verify|list          check or read the audit trail
//	drawbridge hash-password              hash a local user's password
//	drawbridge gen-key                    make an encryption key
//	drawbridge version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"serve", "run Drawbridge from a configuration file", runServe},
	{"demo", "run Drawbridge, a demo user and a sample MCP server on loopback", runDemo},
	{"check", "validate a configuration file and report every problem", runCheck},
	{"doctor", "check a running deployment from outside, as MCP clients see it, and print each problem's fix (doctor URL)", runDoctor},
	{"audit", "verify the audit trail's hash chain, or list events (audit verify|list)", runAudit},
	{"keys", "list signing keys, make a new one current, or re-encrypt the vault with the first encryption key (keys list|rotate|reseal)", runKeys},
	{"clients", "list clients, revoke their grants, disable, enable or delete them (clients list|revoke|disable|enable|delete)", runClients},
	{"grants", "list or revoke grants (grants list|revoke)", runGrants},
	{"hash-password", "hash a password for a local user (reads it from stdin)", runHashPassword},
	{"gen-key", "print a new random encryption key", runGenKey},
	{"version", "print the version", runVersion},
}

// errUsage means the command line was wrong; usage has been printed.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
			return 2
		}
		fmt.Fprintln(stderr, "drawbridge:", err)
		return 1
	}
	fmt.Fprintf(stderr, "drawbridge: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Drawbridge: an OAuth 2.1 authorization gateway for MCP servers.")
	fmt.Fprintln(w, "\nUsage: drawbridge <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'drawbridge <command> -h' for a command's flags.")
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("drawbridge "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses flags and refuses stray arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
