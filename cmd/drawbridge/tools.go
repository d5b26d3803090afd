package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/pinning"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Tool definition pinning keeps a changed tool (or, under pinning: block,
// a new one) away from clients until an administrator approves it. The
// decisions are in the store: running servers apply them at their next
// list or call, on every replica.
var toolsCmd = &command{
	name:    "tools",
	summary: "review tool definitions that changed (tool pinning)",
	about: `Drawbridge pins the definition of every tool each MCP server shows (docs/pinning.md). When a
server changes a tool's description or schema, or under pinning: block adds one, the tool is
withheld from clients until an administrator approves the new definition. These commands list
the definitions waiting, show what changed, and approve or reject them, as the admin API and
the console do (audited as tool.approved or tool.rejected by cli:<operating-system user>).`,
	examples: []string{
		"drawbridge tools pending --config drawbridge.yaml",
		"drawbridge tools approve --config drawbridge.yaml --server snippets --tool save --hash 3f9c2a7b",
	},
	subs: []*command{
		{
			name:    "pending",
			summary: "list the definitions waiting for review, with what changed",
			about: `Lists each definition waiting for review: server, tool, why it waits (changed, new,
lookalike), its hash, when it was first seen, and a line-by-line comparison with the approved
definition ("-" only in the approved one, "+" only in the new one).`,
			examples: []string{"drawbridge tools pending --config drawbridge.yaml"},
			flags: func(fs *flag.FlagSet) action {
				return storeAction(fs, func(ctx context.Context, cfg *config.Config, st storage.Store, stdout io.Writer) error {
					return withAdmin(cfg, st, func(a *admin.API, _ admin.Actor) error { return pendingTools(ctx, a, stdout) })
				})
			},
		},
		{
			name:     "list",
			summary:  "list every pinned definition, of one server or all",
			about:    "Lists every pinned tool definition: server, tool, state, reason, hash and who decided.",
			examples: []string{"drawbridge tools list --config drawbridge.yaml --server snippets"},
			flags: func(fs *flag.FlagSet) action {
				server := fs.String("server", "", "only this `server`'s tools")
				return storeAction(fs, func(ctx context.Context, cfg *config.Config, st storage.Store, stdout io.Writer) error {
					return withAdmin(cfg, st, func(a *admin.API, _ admin.Actor) error { return listToolPins(ctx, a, *server, stdout) })
				})
			},
		},
		decideToolCmd("approve", "approve a definition: the tool is shown and callable with it",
			`Approves one definition of a tool, named by its server, its tool and its hash (or the first 8
or more characters of it, as 'drawbridge tools pending' shows). The definition approved before
is retired: if the server goes back to it, that is a change to review.`, true),
		decideToolCmd("reject", "reject a definition: the tool stays hidden while the server shows it",
			`Rejects one definition of a tool. While the server shows it, the tool stays hidden and calls to
it are refused; if the server goes back to the approved definition, the tool is back.`, false),
	},
}

func decideToolCmd(name, summary, about string, approve bool) *command {
	return &command{name: name, summary: summary, about: about,
		examples: []string{"drawbridge tools " + name + " --config drawbridge.yaml --server snippets --tool save --hash 3f9c2a7b"},
		flags: func(fs *flag.FlagSet) action {
			server := fs.String("server", "", "the `server`'s name")
			tool := fs.String("tool", "", "the `tool`'s name")
			hash := fs.String("hash", "", "the definition's `hash`, or its first 8 or more characters")
			return storeAction(fs, func(ctx context.Context, cfg *config.Config, st storage.Store, stdout io.Writer) error {
				return withAdmin(cfg, st, func(a *admin.API, who admin.Actor) error {
					decide := a.RejectTool
					if approve {
						decide = a.ApproveTool
					}
					p, err := decide(ctx, who, *server, *tool, *hash)
					if errors.Is(err, storage.ErrNotFound) {
						return fmt.Errorf("server %q has no tool %q with a definition %s (see 'drawbridge tools pending')", *server, *tool, *hash)
					}
					if err == nil {
						fmt.Fprintf(stdout, "%s %s %s: %s; running servers apply it at their next list or call\n", p.Server, p.Tool, p.Hash, p.State)
					}
					return err
				})
			})
		},
	}
}

func pendingTools(ctx context.Context, a *admin.API, stdout io.Writer) error {
	cs, err := a.PendingTools(ctx)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		fmt.Fprintln(stdout, "No tool definitions are waiting for review.")
	}
	for _, c := range cs {
		p := c.Pin
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\tfirst seen %s\n", p.Server, p.Tool, p.Reason, p.Hash, p.FirstSeenAt.Format(time.RFC3339))
		var old []byte
		if c.Approved != nil {
			old = c.Approved.Definition
			fmt.Fprintf(stdout, "  approved: %s (by %s)\n", c.Approved.Hash, c.Approved.DecidedBy)
		}
		for _, r := range pinning.Diff(old, p.Definition) {
			switch r.Op {
			case ' ':
				fmt.Fprintf(stdout, "    %s\n", r.Old)
			case '~':
				fmt.Fprintf(stdout, "  - %s\n  + %s\n", r.Old, r.New)
			case '-':
				fmt.Fprintf(stdout, "  - %s\n", r.Old)
			case '+':
				fmt.Fprintf(stdout, "  + %s\n", r.New)
			}
		}
	}
	return nil
}

func listToolPins(ctx context.Context, a *admin.API, server string, stdout io.Writer) error {
	ps, err := a.ToolPins(ctx, server)
	if err != nil {
		return err
	}
	for _, p := range ps {
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Server, p.Tool, p.State, p.Reason, p.Hash, p.DecidedBy)
	}
	return nil
}
