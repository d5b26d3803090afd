package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// The admin commands work on the store named by a configuration, the same
// one the running servers use; what they change, every replica sees. The
// client, block and grant commands take the admin actions that the API
// and the console take (internal/admin: the same guards, the same audit
// records), as the administrator "cli:<operating-system user>".
//
// A command opens the store without a server, so it has no revocation
// list of its own: running servers refuse the access tokens of the grants
// it revokes once their revocation list next syncs from the store (every
// 5 seconds). Refresh tokens are deleted at once.

// cliClientID names the command line as the "client" of the admin
// actions it takes, in the audit trail.
const cliClientID = "drawbridge-cli"

// clock is the command line's clock: what the admin actions change and
// record is stamped with it. Tests set it.
var clock = time.Now

// cliUser is the operating-system account running the command: the
// administrator, as far as the command line knows.
func cliUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// storeAction declares --config and returns the action that opens the
// configuration's store and runs fn on it.
func storeAction(fs *flag.FlagSet, fn func(context.Context, *config.Config, storage.Store, io.Writer) error) action {
	path := configFlag(fs)
	return func(ctx context.Context, stdout, _ io.Writer) error {
		cfg, err := config.Load(*path)
		if err != nil {
			return err
		}
		st, err := server.OpenStore(ctx, cfg)
		if err != nil {
			return err
		}
		defer st.Close()
		return fn(ctx, cfg, st, stdout)
	}
}

// withAdmin runs fn with the admin actions over st and the
// configuration's audit trail (its store and file, as a server writes
// them), which it flushes before returning. An audit record that could
// not be stored fails the command, after the change was made.
func withAdmin(cfg *config.Config, st storage.Store, fn func(*admin.API, admin.Actor) error) error {
	return withAdminKeys(cfg, st, nil, fn)
}

// withAdminKeys is withAdmin for the key actions, which need the signing
// keys.
func withAdminKeys(cfg *config.Config, st storage.Store, keys *tokens.Keys, fn func(*admin.API, admin.Actor) error) error {
	rec, out, err := server.CommandRecorder(cfg, st, slog.Default())
	if err != nil {
		return err
	}
	var emit audit.Emitter
	if rec != nil {
		emit = rec
	}
	rv := revoke.New(revoke.Options{Store: st, Audit: emit, Now: clock})
	a := admin.New(admin.Options{Store: st, Keys: keys, Revoker: rv, Record: emit, Now: clock, Log: slog.Default()})
	err = fn(a, admin.Actor{Subject: "cli:" + cliUser(), ClientID: cliClientID})
	rec.Close()
	if n := rec.Dropped(); n > 0 {
		err = errors.Join(err, fmt.Errorf("%d audit record(s) could not be stored; the change itself was made", n))
	}
	return errors.Join(err, out.Close())
}
