package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// keyReloadEvery is how often a replica rereads the signing keys. Another
// replica (or `drawbridge keys rotate`, or the admin API) may have made a
// new key current or pruned an old one: verifiers find a new key on its
// first token by themselves, but signing with the newest key and
// publishing it in this replica's JWKS wait for a reload.
const keyReloadEvery = time.Minute

// syncKeys reloads the signing keys until ctx ends. A failed reload (the
// store is down) keeps the keys already loaded.
func syncKeys(ctx context.Context, keys *tokens.Keys, log *slog.Logger) {
	t := time.NewTicker(keyReloadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := keys.Reload(ctx); err != nil && ctx.Err() == nil {
				log.Warn("reloading signing keys failed", "err", err)
			}
		}
	}
}
