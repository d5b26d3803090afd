package main

import (
	"context"
	"flag"
	"io"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/server"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// The admin commands work on the store named by a configuration, the same
// one the running servers use; what they change, every replica sees (a
// revoked grant's access tokens within one revocation-list sync).

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
