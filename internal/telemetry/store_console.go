package telemetry

import (
	"context"
	"errors"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// The console's sessions and the grants' last use, timed like the rest.

var _ storage.ConsoleSessionStore = (*instrumentedStore)(nil)

var errNoConsole = errors.New("storage: this store keeps no console sessions")

func (i *instrumentedStore) console() (storage.ConsoleSessionStore, error) {
	cs, ok := i.s.(storage.ConsoleSessionStore)
	if !ok {
		return nil, errNoConsole
	}
	return cs, nil
}

func (i *instrumentedStore) CreateConsoleSession(ctx context.Context, s storage.ConsoleSession) error {
	cs, err := i.console()
	if err != nil {
		return err
	}
	start := time.Now()
	err = cs.CreateConsoleSession(ctx, s)
	i.observe("create_console_session", start, err)
	return err
}

func (i *instrumentedStore) GetConsoleSession(ctx context.Context, hash string, now time.Time) (storage.ConsoleSession, error) {
	cs, err := i.console()
	if err != nil {
		return storage.ConsoleSession{}, err
	}
	start := time.Now()
	v, err := cs.GetConsoleSession(ctx, hash, now)
	i.observe("get_console_session", start, err)
	return v, err
}

func (i *instrumentedStore) DeleteConsoleSession(ctx context.Context, hash string) error {
	cs, err := i.console()
	if err != nil {
		return err
	}
	start := time.Now()
	err = cs.DeleteConsoleSession(ctx, hash)
	i.observe("delete_console_session", start, err)
	return err
}

func (i *instrumentedStore) DeleteExpiredConsoleSessions(ctx context.Context, now time.Time) (int, error) {
	cs, err := i.console()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	n, err := cs.DeleteExpiredConsoleSessions(ctx, now)
	i.observe("delete_expired_console_sessions", start, err)
	return n, err
}

var _ storage.GrantUsageStore = (*instrumentedStore)(nil)

func (i *instrumentedStore) TouchGrant(ctx context.Context, id string, at time.Time) error {
	gu, ok := i.s.(storage.GrantUsageStore)
	if !ok {
		return errors.New("storage: this store does not record grant use")
	}
	start := time.Now()
	err := gu.TouchGrant(ctx, id, at)
	i.observe("touch_grant", start, err)
	return err
}
