package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
	"github.com/drawbridge-mcp/drawbridge/internal/vault"
)

// The admin commands work on the store named by a configuration, the same
// one the running servers use; what they change, every replica sees (a
// revoked grant's access tokens within one revocation-list sync).

type storeCmd struct {
	fs   *flag.FlagSet
	path *string
}

func newStoreCmd(name string, stderr io.Writer) *storeCmd {
	fs := newFlags(name, stderr)
	return &storeCmd{fs: fs, path: fs.String("config", "drawbridge.yaml", "configuration file")}
}

func (c *storeCmd) open(ctx context.Context, args []string) (*config.Config, storage.Store, error) {
	if err := parse(c.fs, args); err != nil {
		return nil, nil, err
	}
	cfg, err := config.Load(*c.path)
	if err != nil {
		return nil, nil, err
	}
	st, err := server.OpenStore(ctx, cfg)
	return cfg, st, err
}

func subcommand(args []string, stderr io.Writer, usage string, allowed ...string) (string, error) {
	if len(args) > 0 {
		for _, a := range allowed {
			if args[0] == a {
				return a, nil
			}
		}
	}
	fmt.Fprintln(stderr, "usage:", usage)
	return "", errUsage
}

// runKeys: drawbridge keys list|rotate|reseal --config FILE.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand(args, stderr, "drawbridge keys list|rotate|reseal --config FILE", "list", "rotate", "reseal")
	if err != nil {
		return err
	}
	cmd := newStoreCmd("keys "+sub, stderr)
	cfg, st, err := cmd.open(ctx, args[1:])
	if err != nil {
		return err
	}
	defer st.Close()
	var ring []tokens.RingKey
	for _, k := range cfg.EncryptionKeys {
		ring = append(ring, tokens.RingKey{ID: k.ID, Key: k.Key})
	}
	kr, err := tokens.NewKeyring(ring)
	if err != nil {
		return err
	}
	if sub == "reseal" {
		return reseal(ctx, st, kr, ring[0].ID, stdout)
	}
	keys, err := tokens.LoadKeys(ctx, st, kr, time.Now)
	if err != nil {
		return err
	}
	if sub == "rotate" {
		kid, err := keys.Rotate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new signing key %s is current; the previous ones stay published until their tokens expire\n", kid)
		return nil
	}
	recs, err := st.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range recs {
		mark := ""
		if k.ID == keys.Current() {
			mark = " (current)"
		}
		fmt.Fprintf(stdout, "%s %s created %s%s\n", k.ID, k.Algorithm, k.CreatedAt.Format(time.RFC3339), mark)
	}
	return nil
}

// runClients: drawbridge clients list|revoke|disable|enable|delete|
// block|unblock|blocked. revoke ends every grant of the client (its users
// must approve it again to reconnect) and leaves it registered; disable
// also refuses it from now on; delete removes it. Pre-registered clients
// live in the configuration: they are listed, and their grants can be
// revoked, but changing them means changing the file. block, unblock and
// blocked manage blocks of metadata-document clients (runBlocks).
func runClients(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand(args, stderr, "drawbridge clients list|revoke|disable|enable|delete|block|unblock|blocked --config FILE [--id ID] [--user SUB] [--host HOST] [--reason TEXT]",
		"list", "revoke", "disable", "enable", "delete", "block", "unblock", "blocked")
	if err != nil {
		return err
	}
	cmd := newStoreCmd("clients "+sub, stderr)
	id := cmd.fs.String("id", "", "client_id (revoke, disable, enable, delete; block, unblock: a client_id URL)")
	user := cmd.fs.String("user", "", "revoke: only this user's grants (subject)")
	host := cmd.fs.String("host", "", "block, unblock: every metadata-document client on this host (any port, not its subdomains)")
	note := cmd.fs.String("reason", "", "block: a note kept with the block")
	cfg, st, err := cmd.open(ctx, args[1:])
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "list":
		return listClients(ctx, cfg, st, stdout)
	case "block", "unblock", "blocked":
		return runBlocks(ctx, cfg, st, sub, *id, *host, *note, stdout)
	}
	if *host != "" || *note != "" {
		return errors.New("--host and --reason only go with block and unblock")
	}
	if *id == "" {
		return errors.New("--id is required")
	}
	if slices.ContainsFunc(cfg.Clients, func(c config.Client) bool { return c.ID == *id }) && sub != "revoke" {
		return fmt.Errorf("client %s is pre-registered in the configuration file; change it there (revoke still ends its grants)", *id)
	}
	if *user != "" && sub != "revoke" {
		return errors.New("--user only goes with revoke")
	}
	reason := map[string]string{"revoke": "revoked_by_admin", "disable": "client_disabled", "delete": "client_deleted"}[sub]
	n := 0
	if reason != "" {
		if n, err = revokeGrants(ctx, st, storage.GrantFilter{ClientID: *id, Subject: *user}, reason); err != nil {
			return err
		}
	}
	switch sub {
	case "revoke":
		if *user != "" {
			err = st.DeleteConsent(ctx, *user, *id)
			if errors.Is(err, storage.ErrNotFound) {
				err = nil
			}
		}
		if err == nil {
			fmt.Fprintf(stdout, "%d grant(s) of client %s revoked; running servers refuse their tokens within seconds\n", n, *id)
		}
		return err
	case "disable", "enable":
		err = st.UpdateClient(ctx, *id, func(c storage.Client) (storage.Client, error) { c.Disabled = sub == "disable"; return c, nil })
	case "delete":
		err = st.DeleteClient(ctx, *id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "client %s %sd; %d grant(s) revoked\n", *id, sub, n)
	return nil
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

// runGrants: drawbridge grants list|revoke.
func runGrants(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, err := subcommand(args, stderr, "drawbridge grants list|revoke --config FILE [--user SUB] [--client ID] [--id GRANT]", "list", "revoke")
	if err != nil {
		return err
	}
	cmd := newStoreCmd("grants "+sub, stderr)
	var f storage.GrantFilter
	cmd.fs.StringVar(&f.Subject, "user", "", "only this user (subject)")
	cmd.fs.StringVar(&f.ClientID, "client", "", "only this client")
	id := cmd.fs.String("id", "", "one grant (revoke)")
	_, st, err := cmd.open(ctx, args[1:])
	if err != nil {
		return err
	}
	defer st.Close()
	if sub == "list" {
		gs, err := st.ListGrants(ctx, f)
		if err != nil {
			return err
		}
		for _, g := range gs {
			fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\tlast used %s\n", g.ID, g.Identity.Subject, g.ClientID, g.Resource, g.LastUsedAt.Format(time.RFC3339))
		}
		return nil
	}
	if *id != "" {
		if err := st.RevokeGrant(ctx, *id, "revoked_by_admin", time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "grant %s revoked\n", *id)
		return nil
	}
	if f.Subject == "" && f.ClientID == "" {
		return errors.New("name --id, or --user and/or --client")
	}
	n, err := revokeGrants(ctx, st, f, "revoked_by_admin")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d grant(s) revoked\n", n)
	return nil
}

func revokeGrants(ctx context.Context, st storage.Store, f storage.GrantFilter, reason string) (int, error) {
	gs, err := st.ListGrants(ctx, f)
	if err != nil {
		return 0, err
	}
	for _, g := range gs {
		if err := st.RevokeGrant(ctx, g.ID, reason, time.Now()); err != nil {
			return 0, err
		}
	}
	return len(gs), nil
}

// reseal re-encrypts the signing keys and the upstream tokens in the vault
// with the first encryption key, so that older keys can leave the
// configuration.
func reseal(ctx context.Context, st storage.Store, kr *tokens.Keyring, current string, stdout io.Writer) error {
	n, total, err := tokens.ResealKeys(ctx, st, kr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-sealed %d of %d signing keys with encryption key %s\n", n, total, current)
	n, total, err = vault.New(vault.Options{Store: st, Keyring: kr}).Reseal(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "re-sealed %d of %d upstream token sessions with encryption key %s\n", n, total, current)
	return nil
}
