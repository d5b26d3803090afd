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
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var grantsCmd = &command{
	name:    "grants",
	summary: "list or revoke grants",
	about: `A grant is what a user's approval of a client for one MCP server produced: the refresh token
and the access tokens issued from it. These commands list and revoke them in the store named
by the configuration. A revoked grant's refresh tokens are deleted at once; this command has
no revocation list of its own, so running servers refuse its access tokens when they next sync
theirs from the store (every 5 seconds).`,
	examples: []string{
		"drawbridge grants list --config drawbridge.yaml --user local:alice",
		"drawbridge grants revoke --config drawbridge.yaml --client 3f9c2a",
	},
	subs: []*command{
		{
			name:    "list",
			summary: "list grants, of one user or client",
			about:   "Lists grants: id, user (subject), client, MCP server (resource) and last use.",
			examples: []string{
				"drawbridge grants list --config drawbridge.yaml --user local:alice",
			},
			flags: func(fs *flag.FlagSet) action {
				f := grantFilter(fs)
				return storeAction(fs, func(ctx context.Context, _ *config.Config, st storage.Store, stdout io.Writer) error {
					return listGrants(ctx, st, *f, stdout)
				})
			},
		},
		{
			name:    "revoke",
			summary: "revoke one grant (--id), or every grant of a user and/or client",
			about: `Revokes one grant (--id), or every grant of a user (--user) and/or a client (--client),
with the admin API's action: the audit trail records each grant as grant.revoked (reason
revoked_by_admin) and the action as admin.grant_revoked or admin.grants_revoked, by
cli:<operating-system user>. Running servers refuse the grants' access tokens at their next
revocation sync (within 5 seconds). The client keeps its registration, and the user's
approval stays: revoke the approval too with 'drawbridge clients revoke --id CLIENT --user SUBJECT'.`,
			examples: []string{
				"drawbridge grants revoke --config drawbridge.yaml --id 01J9Z8Y4QK",
				"drawbridge grants revoke --config drawbridge.yaml --user local:alice",
			},
			flags: func(fs *flag.FlagSet) action {
				f := grantFilter(fs)
				id := fs.String("id", "", "one grant's `id`")
				return storeAction(fs, func(ctx context.Context, cfg *config.Config, st storage.Store, stdout io.Writer) error {
					return revokeGrants(ctx, cfg, st, *id, *f, stdout)
				})
			},
		},
	},
}

func grantFilter(fs *flag.FlagSet) *storage.GrantFilter {
	var f storage.GrantFilter
	fs.StringVar(&f.Subject, "user", "", "only this user (`subject`)")
	fs.StringVar(&f.ClientID, "client", "", "only this `client_id`")
	return &f
}

func listGrants(ctx context.Context, st storage.Store, f storage.GrantFilter, stdout io.Writer) error {
	gs, err := st.ListGrants(ctx, f)
	if err != nil {
		return err
	}
	for _, g := range gs {
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\tlast used %s\n", g.ID, g.Identity.Subject, g.ClientID, g.Resource, g.LastUsedAt.Format(time.RFC3339))
	}
	return nil
}

// revokeGrants revokes one grant, or those of a user and/or a client.
func revokeGrants(ctx context.Context, cfg *config.Config, st storage.Store, id string, f storage.GrantFilter, stdout io.Writer) error {
	if id == "" && f.Subject == "" && f.ClientID == "" {
		return errors.New("name --id, or --user and/or --client")
	}
	return withAdmin(cfg, st, func(a *admin.API, who admin.Actor) error {
		if id != "" {
			err := a.RevokeGrant(ctx, who, id)
			if errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("no grant %s", id)
			}
			if err == nil {
				fmt.Fprintf(stdout, "grant %s revoked%s\n", id, syncNote)
			}
			return err
		}
		n, err := a.RevokeGrants(ctx, who, f, revoke.ReasonByAdmin)
		if err == nil {
			fmt.Fprintf(stdout, "%d grant(s) revoked%s\n", n, syncNote)
		}
		return err
	})
}

// syncNote ends the report of a revocation: when it takes effect.
const syncNote = "; running servers refuse the revoked access tokens at their next revocation sync (within 5 seconds)"
