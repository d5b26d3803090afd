package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// The clients commands: revoke ends every grant of the client (its users
// must approve it again to reconnect) and leaves it registered; disable
// also refuses it from now on; delete removes it. Pre-registered clients
// live in the configuration: they are listed, and their grants can be
// revoked, but changing them means changing the file. block, unblock and
// blocked manage blocks of metadata-document clients (blocks.go). Each
// change is the admin API's action (admincli.go).
var clientsCmd = &command{
	name:    "clients",
	summary: "list clients, revoke their grants, disable, enable, delete or block them",
	about: `Manages the OAuth clients known to the store named by the configuration: pre-registered
(in the configuration file), dynamically registered, and known by their metadata document.
Each change is the admin API's action, with its checks, and is recorded in the audit trail as
admin.<action> by cli:<operating-system user>, each grant it ends as grant.revoked. What it
changes, every replica sees; this command has no revocation list of its own, so running servers
refuse revoked access tokens when they next sync theirs from the store (every 5 seconds).`,
	examples: []string{
		"drawbridge clients list --config drawbridge.yaml",
		"drawbridge clients revoke --config drawbridge.yaml --id 3f9c2a --user local:alice",
	},
	subs: []*command{
		{
			name:     "list",
			summary:  "list every client, with its kind and when it was last used",
			about:    "Lists the clients: id, kind (config, dynamic, cimd), name, whether disabled, and last use.",
			examples: []string{"drawbridge clients list --config drawbridge.yaml"},
			flags:    func(fs *flag.FlagSet) action { return storeAction(fs, listClients) },
		},
		clientChange("revoke", "end the client's grants (of one user with --user); it stays registered",
			`Revokes every grant of the client (reason revoked_by_admin), or with --user withdraws that
user's approval of it and revokes that user's grants (reason consent_revoked, as the console's
and the API's consent withdrawal): its users must approve it again to reconnect. The client
stays registered. Pre-registered clients can be revoked too.`,
			"drawbridge clients revoke --config drawbridge.yaml --id 3f9c2a --user local:alice"),
		clientChange("disable", "revoke the client's grants and refuse it from now on",
			"Revokes every grant of a registered client and refuses it until it is enabled again.",
			"drawbridge clients disable --config drawbridge.yaml --id 3f9c2a"),
		clientChange("enable", "accept a disabled client again",
			"Accepts a disabled client again. Its revoked grants stay revoked: its users approve it again.",
			"drawbridge clients enable --config drawbridge.yaml --id 3f9c2a"),
		clientChange("delete", "revoke the client's grants and remove it",
			"Revokes every grant of a registered client and removes it; it can register again.",
			"drawbridge clients delete --config drawbridge.yaml --id 3f9c2a"),
		blockCmd, unblockCmd, blockedCmd,
	},
}

// clientChange is revoke, disable, enable or delete.
func clientChange(sub, summary, about, example string) *command {
	return &command{name: sub, summary: summary, about: about, examples: []string{example},
		flags: func(fs *flag.FlagSet) action {
			id := fs.String("id", "", "the client's `client_id` (required)")
			var user *string
			if sub == "revoke" {
				user = fs.String("user", "", "only this user's grants (`subject`)")
			}
			return storeAction(fs, func(ctx context.Context, cfg *config.Config, st storage.Store, stdout io.Writer) error {
				if *id == "" {
					return errors.New("--id is required")
				}
				if sub == "revoke" {
					return revokeClient(ctx, cfg, st, *id, *user, stdout)
				}
				return changeClient(ctx, cfg, st, sub, *id, stdout)
			})
		}}
}

// revokeClient revokes a client's grants, or withdraws one user's
// approval of it (which revokes that user's grants).
func revokeClient(ctx context.Context, cfg *config.Config, st storage.Store, id, user string, stdout io.Writer) error {
	return withAdmin(cfg, st, func(a *admin.API, who admin.Actor) error {
		var n int
		var err error
		if user != "" {
			n, err = a.WithdrawConsent(ctx, who, user, id, "consent_revoked")
		} else {
			n, err = a.RevokeGrants(ctx, who, storage.GrantFilter{ClientID: id}, revoke.ReasonByAdmin)
		}
		if err == nil {
			fmt.Fprintf(stdout, "%d grant(s) of client %s revoked%s\n", n, id, syncNote)
		}
		return err
	})
}

// changeClient disables, enables or deletes a registered client.
func changeClient(ctx context.Context, cfg *config.Config, st storage.Store, sub, id string, stdout io.Writer) error {
	if slices.ContainsFunc(cfg.Clients, func(c config.Client) bool { return c.ID == id }) {
		return fmt.Errorf("client %s is pre-registered in the configuration file; change it there (revoke still ends its grants)", id)
	}
	return withAdmin(cfg, st, func(a *admin.API, who admin.Actor) error {
		var n int
		var err error
		if sub == "delete" {
			n, err = a.DeleteClient(ctx, who, id)
		} else {
			n, err = a.SetClientDisabled(ctx, who, id, sub == "disable")
		}
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("no registered client %s (a client known by its metadata document is blocked instead: drawbridge clients block)", id)
		}
		if err == nil {
			fmt.Fprintf(stdout, "client %s %sd; %d grant(s) revoked\n", id, sub, n)
		}
		return err
	})
}

func listClients(ctx context.Context, cfg *config.Config, st storage.Store, stdout io.Writer) error {
	for _, c := range cfg.Clients {
		fmt.Fprintf(stdout, "%s\t%s\t%s\tdisabled=false\t(in the configuration file)\n", c.ID, storage.ClientKindConfig, c.Name)
	}
	cs, err := st.ListClients(ctx, "", 0)
	if err != nil {
		return err
	}
	for _, c := range cs {
		fmt.Fprintf(stdout, "%s\t%s\t%s\tdisabled=%v\tlast used %s\n", c.ID, c.Kind, c.Name, c.Disabled, c.LastUsedAt.Format(time.RFC3339))
	}
	return nil
}
