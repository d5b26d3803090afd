package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/admin"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// cliClientID names the command line as the "client" of the admin
// actions it takes, in the audit trail.
const cliClientID = "drawbridge-cli"

// cliUser is the operating-system account running the command: the
// administrator, as far as the command line knows.
func cliUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// withAdmin runs fn with the admin actions over st (the same ones the API
// and the console call) and the configuration's audit trail, which it
// flushes before returning.
func withAdmin(cfg *config.Config, st storage.Store, fn func(*admin.API, admin.Actor) error) error {
	rec, out, err := server.CommandRecorder(cfg, st, slog.Default())
	if err != nil {
		return err
	}
	opt := admin.Options{Store: st, Now: time.Now, Log: slog.Default()}
	if rec != nil {
		opt.Record = rec
	}
	err = fn(admin.New(opt), admin.Actor{Subject: "cli:" + cliUser(), ClientID: cliClientID})
	rec.Close()
	return errors.Join(err, out.Close())
}

// runBlocks: drawbridge clients block|unblock (--id URL | --host HOST)
// [--reason TEXT], and clients blocked (the list). Blocking revokes the
// grants of every client the block matches; running servers refuse those
// clients at once (blocks are read from the store on each authorization)
// and their access tokens within their revocation sync.
func runBlocks(ctx context.Context, cfg *config.Config, st storage.Store, sub, id, host, reason string, stdout io.Writer) error {
	if sub == "blocked" {
		return listBlocks(ctx, st, stdout)
	}
	kind, value := storage.BlockClientID, id
	switch {
	case (id == "") == (host == ""):
		return errors.New("name either --id (a client_id URL) or --host")
	case host != "":
		kind, value = storage.BlockHost, host
	}
	if sub == "unblock" && reason != "" {
		return errors.New("--reason only goes with block")
	}
	return withAdmin(cfg, st, func(a *admin.API, who admin.Actor) error {
		if sub == "unblock" {
			v, err := a.UnblockClient(ctx, who, kind, value)
			if errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("%s %s is not blocked", kind, value)
			}
			if err == nil {
				fmt.Fprintf(stdout, "%s %s unblocked; grants revoked by the block stay revoked\n", kind, v)
			}
			return err
		}
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
