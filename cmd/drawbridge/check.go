package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
)

var checkCmd = &command{
	name:    "check",
	summary: "validate a configuration file and report every problem",
	about: `Reads the configuration file as 'drawbridge serve' would and reports every problem it
finds at once (unknown keys with their line, values out of range, missing settings, policy
rules that do not compile), so that the file can be fixed in one pass. It contacts nothing:
no database, identity provider or MCP server. Prints warnings about settings that are valid
but probably not meant; exits 0 when the file is valid and 1 when it is not.`,
	examples: []string{
		"drawbridge check --config drawbridge.yaml",
	},
	flags: func(fs *flag.FlagSet) action {
		path := configFlag(fs)
		return func(_ context.Context, stdout, _ io.Writer) error { return check(*path, stdout) }
	},
}

func check(path string, stdout io.Writer) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	if _, err := server.CompilePolicies(cfg); err != nil {
		return err
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stdout, "%s: warning: %s\n", path, w)
	}
	fmt.Fprintf(stdout, "%s: configuration is valid\n", path)
	return nil
}
