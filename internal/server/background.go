package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/console"
	"github.com/drawbridge-mcp/drawbridge/internal/lastuse"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// backgroundLoops are this replica's periodic work, each running until its
// context ends: keeping the revocation list fresh, rereading the signing
// keys, writing when grants were last used, and the upkeep every ten
// minutes.
func backgroundLoops(cfg *config.Config, opt Options, c core, usage *lastuse.Tracker, con *console.Console) []func(context.Context) {
	m := maintenance{store: c.store, keys: c.keys, console: con, rotateAfter: cfg.Tokens.KeyRotation.D(),
		keep: cfg.Tokens.AccessTokenTTL.D() + time.Hour, now: opt.Now, log: opt.Log}
	loops := []func(context.Context){
		func(ctx context.Context) { c.revoked.Run(ctx, 5*time.Second, opt.Log) },
		func(ctx context.Context) { syncKeys(ctx, c.keys, opt.Log) },
		m.run,
		func(ctx context.Context) { usage.Run(ctx, opt.Log) },
	}
	return loops
}

// maintenance collects expired rows and console sessions and rotates the
// signing key.
type maintenance struct {
	store   storage.Store
	keys    *tokens.Keys
	console *console.Console // nil when it is off
	// rotateAfter is tokens.key_rotation (0: by hand only); keep is how
	// long what has expired is kept: old keys verify the last tokens they
	// signed.
	rotateAfter, keep time.Duration
	now               func() time.Time
	log               *slog.Logger
}

const maintenanceEvery = 10 * time.Minute

func (m maintenance) run(ctx context.Context) {
	t := time.NewTicker(maintenanceEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.collectGarbage(ctx)
			m.rotateKeys(ctx)
		}
	}
}

func (m maintenance) collectGarbage(ctx context.Context) {
	collectConsole(ctx, m.console, m.log)
	res, err := m.store.DeleteExpired(ctx, m.now(), m.keep)
	if err != nil {
		m.log.Warn("garbage collection failed", "err", err)
		return
	}
	m.log.Debug("garbage collected", "result", fmt.Sprintf("%+v", res))
}

// rotateKeys makes a new signing key when the current one is older than
// tokens.key_rotation, and removes keys whose tokens have all expired.
func (m maintenance) rotateKeys(ctx context.Context) {
	if m.rotateAfter > 0 {
		if rotated, err := m.keys.RotateIfOlder(ctx, m.rotateAfter); err != nil {
			m.log.Warn("signing key rotation failed", "err", err)
		} else if rotated {
			m.log.Info("signing key rotated", "kid", m.keys.Current())
		}
	}
	if _, err := m.keys.Prune(ctx, m.keep); err != nil {
		m.log.Warn("pruning old signing keys failed", "err", err)
	}
}
