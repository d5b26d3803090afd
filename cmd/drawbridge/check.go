package main

import (
	"context"
	"errors"
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
finds at once, so that the file can be fixed in one pass: unknown keys with their line,
values out of range, missing settings, policy rules that do not compile, and what the
server would fail to load at startup (TLS and client certificates, header files, backend
token clients). It contacts nothing: no database, identity provider or MCP server, but it
reads the files the configuration names. Prints warnings about settings that are valid
but probably not meant; exits 0 when the file is valid and 1 when it is not.`,
	examples: []string{
		"drawbridge check --config drawbridge.yaml",
	},
	flags: func(fs *flag.FlagSet) action {
		path := configFlag(fs)
		return func(ctx context.Context, stdout, _ io.Writer) error { return check(ctx, *path, stdout) }
	},
}

func check(ctx context.Context, path string, stdout io.Writer) error {
	cfg, err := config.Load(path)
	var problems *config.Problems
	switch {
	case cfg == nil:
		return err // unreadable, or not decoded far enough to go on
	case errors.As(err, &problems):
	case err != nil:
		return err
	default:
		problems = &config.Problems{}
	}
	problems.List = append(problems.List, server.Check(ctx, cfg, problems.List)...)
	if len(problems.List) > 0 {
		return problems
	}
	for _, w := range cfg.Warnings() {
		fmt.Fprintf(stdout, "%s: warning: %s\n", path, w)
	}
	fmt.Fprintf(stdout, "%s: configuration is valid\n", path)
	return nil
}
