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
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Blocking revokes the grants of every client the block matches; running
// servers refuse those clients at once (blocks are read from the store on
// each authorization) and their access tokens within their revocation
// sync.
var (
	blockCmd = &command{
		name:    "block",
		summary: "block a metadata-document client by its client_id URL (--id) or host (--host)",
		about: `Blocks a client known by its client ID metadata document, by its client_id URL (--id) or
every such client on a host (--host, any port, its subdomains too), and revokes the grants of
the clients it matches. Such clients are not stored, so a block is how to refuse one.`,
		examples: []string{
			"drawbridge clients block --config drawbridge.yaml --host agents.example.com --reason phishing",
			"drawbridge clients block --config drawbridge.yaml --id https://agents.example.com/client.json",
		},
		flags: func(fs *flag.FlagSet) action {
			id, host := blockTarget(fs)
			reason := fs.String("reason", "", "a `note` kept with the block")
			return storeAction(fs, func(ctx context.Context, cfg *config.Config, st storage.Store, stdout io.Writer) error {
				return block(ctx, cfg, st, *id, *host, *reason, stdout)
			})
		},
	}
	unblockCmd = &command{
		name:    "unblock",
		summary: "remove a block (--id or --host)",
		about:   "Removes a block made by 'drawbridge clients block'. Grants it revoked stay revoked.",
		examples: []string{
			"drawbridge clients unblock --config drawbridge.yaml --host agents.example.com",
		},
		flags: func(fs *flag.FlagSet) action {
			id, host := blockTarget(fs)
			return storeAction(fs, func(ctx context.Context, cfg *config.Config, st storage.Store, stdout io.Writer) error {
				return unblock(ctx, cfg, st, *id, *host, stdout)
			})
		},
	}
	blockedCmd = &command{
		name:     "blocked",
		summary:  "list the blocks",
		about:    "Lists the blocks: kind (client_id or host), value, who made it and when, and its note.",
		examples: []string{"drawbridge clients blocked --config drawbridge.yaml"},
		flags: func(fs *flag.FlagSet) action {
			return storeAction(fs, func(ctx context.Context, _ *config.Config, st storage.Store, stdout io.Writer) error {
				return listBlocks(ctx, st, stdout)
			})
		},
	}
)

func blockTarget(fs *flag.FlagSet) (id, host *string) {
	return fs.String("id", "", "a metadata-document client's client_id `URL`"),
		fs.String("host", "", "every metadata-document client on this `host` and its subdomains (any port)")
}

// blockKind says what --id and --host name: exactly one of them.
func blockKind(id, host string) (kind, value string, err error) {
	switch {
	case (id == "") == (host == ""):
		return "", "", errors.New("name either --id (a client_id URL) or --host")
	case host != "":
		return storage.BlockHost, host, nil
	}
	return storage.BlockClientID, id, nil
}

func block(ctx context.Context, cfg *config.Config, st storage.Store, id, host, reason string, stdout io.Writer) error {
	kind, value, err := blockKind(id, host)
	if err != nil {
		return err
	}
	return withAdmin(cfg, st, func(a *admin.API, who admin.Actor) error {
		res, err := a.BlockClient(ctx, who, kind, value, reason)
		if err != nil {
			return err
		}
		what := "blocked"
		if !res.Created {
			what = "was already blocked"
		}
		fmt.Fprintf(stdout, "%s %s %s; %d grant(s) revoked; running servers refuse its tokens within seconds\n",
			kind, res.Block.Value, what, res.Revoked)
		return nil
	})
}

func unblock(ctx context.Context, cfg *config.Config, st storage.Store, id, host string, stdout io.Writer) error {
	kind, value, err := blockKind(id, host)
	if err != nil {
		return err
	}
	return withAdmin(cfg, st, func(a *admin.API, who admin.Actor) error {
		v, err := a.UnblockClient(ctx, who, kind, value)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%s %s is not blocked", kind, value)
		}
		if err == nil {
			fmt.Fprintf(stdout, "%s %s unblocked; grants revoked by the block stay revoked\n", kind, v)
		}
		return err
	})
}

func listBlocks(ctx context.Context, st storage.Store, stdout io.Writer) error {
	bs, err := st.ListClientBlocks(ctx)
	if err != nil {
		return err
	}
	for _, b := range bs {
		fmt.Fprintf(stdout, "%s\t%s\tby %s\t%s\t%s\n", b.Kind, b.Value, b.CreatedBy, b.CreatedAt.Format(time.RFC3339), b.Reason)
	}
	return nil
}
