package server

import (
	"context"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/config"
	"github.com/drawbridge-mcp/drawbridge/internal/pinning"
	"github.com/drawbridge-mcp/drawbridge/internal/ratelimit"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/postgres"
	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlite"
	"github.com/drawbridge-mcp/drawbridge/internal/telemetry"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// core is what every later stage builds on: the store, the keys and the
// revocation list, the token verifier, the one revoker of grants, and
// where audit events, metrics and rate limits go.
type core struct {
	store    storage.Store
	ring     *tokens.Keyring // seals secrets at rest
	keys     *tokens.Keys    // sign tokens
	revoked  *tokens.RevocationList
	verifier *tokens.Verifier
	revoker  *revoke.Revoker
	events   audit.Emitter
	metrics  *telemetry.Metrics // nil when metrics.listen is not set
	limiter  ratelimit.Limiter
	// pins is tool definition pinning over the store, shared by the
	// gateway (which decides on it) and the administrator actions (which
	// tell it when they decide a pin).
	pins *pinning.Guard
}

// openCore opens the store and builds what rests on it directly. What it
// opens (the store, the audit file, the Redis client) is added to open.
func openCore(ctx context.Context, cfg *config.Config, opt Options, open *cleanup) (core, error) {
	var c core
	// The metrics count the audit events the recorder drops; the recorder
	// is built after the store, which reports its timings to the metrics.
	var rec *audit.Recorder
	c.metrics = newMetrics(cfg, func() int64 { return rec.Dropped() })
	store, err := OpenStore(ctx, cfg)
	if err != nil {
		return core{}, err
	}
	c.store = telemetry.InstrumentStore(store, c.metrics)
	open.add("store", c.store.Close)
	if c.ring, c.keys, c.revoked, err = loadKeys(ctx, cfg, c.store, opt.Now); err != nil {
		return core{}, err
	}
	c.verifier = &tokens.Verifier{Keys: c.keys, Issuer: cfg.Issuer(), Revoked: c.revoked, Now: opt.Now}
	if rec, err = newRecorder(cfg, c.store, opt, open); err != nil {
		return core{}, err
	}
	c.events = emitter(rec, c.metrics)
	c.revoker = revoke.New(revoke.Options{Store: c.store, List: c.revoked, Audit: c.events, Now: opt.Now})
	if c.limiter, err = newLimiter(cfg, opt.Now, open); err != nil {
		return core{}, err
	}
	c.pins = pinning.New(pinning.Options{Store: c.store, Audit: c.events, Now: opt.Now, Log: opt.Log})
	return c, nil
}

// OpenStore opens the configured store (the CLI's admin commands use it
// directly).
func OpenStore(ctx context.Context, cfg *config.Config) (storage.Store, error) {
	switch cfg.Storage.Type {
	case "sqlite":
		return sqlite.Open(ctx, cfg.Storage.SQLite.Path)
	case "postgres":
		return postgres.Open(ctx, cfg.Storage.Postgres.DSN, postgres.Options{MaxConns: int32(cfg.Storage.Postgres.MaxConns)})
	}
	return nil, fmt.Errorf("unknown storage type %q", cfg.Storage.Type)
}

// loadKeys opens the keyring, loads the signing keys (making the first
// one on a new store) and the grants revoked recently enough for their
// access tokens to be still alive.
func loadKeys(ctx context.Context, cfg *config.Config, store storage.Store, now func() time.Time) (*tokens.Keyring, *tokens.Keys, *tokens.RevocationList, error) {
	ring, err := tokens.NewKeyring(ringKeys(cfg))
	if err != nil {
		return nil, nil, nil, err
	}
	keys, err := tokens.LoadKeys(ctx, store, ring, now)
	if err != nil {
		return nil, nil, nil, err
	}
	revoked := tokens.NewRevocationList(store, now, cfg.Tokens.AccessTokenTTL.D()+time.Minute)
	if err := revoked.Sync(ctx); err != nil {
		return nil, nil, nil, fmt.Errorf("loading revoked grants: %w", err)
	}
	return ring, keys, revoked, nil
}

func ringKeys(cfg *config.Config) []tokens.RingKey {
	var keys []tokens.RingKey
	for _, k := range cfg.EncryptionKeys {
		keys = append(keys, tokens.RingKey{ID: k.ID, Key: k.Key})
	}
	return keys
}

// newMetrics is nil when metrics.listen is not set.
func newMetrics(cfg *config.Config, dropped func() int64) *telemetry.Metrics {
	if cfg.Metrics.Listen == "" {
		return nil
	}
	return telemetry.NewMetrics(dropped)
}

// emitter is where audit events go: the recorder and the metrics.
func emitter(rec *audit.Recorder, metrics *telemetry.Metrics) audit.Emitter {
	switch {
	case metrics == nil:
		return rec
	case rec == nil:
		return metrics
	}
	return audit.Tee{rec, metrics}
}
