package vault

import (
	"context"
	"errors"
	"fmt"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// resealPage is how many sessions Reseal reads at once.
const resealPage = 500

// Reseal re-encrypts every stored session that an older key sealed with the
// current (first) encryption key, so that the old key can then be removed
// from the configuration. It reports how many sessions it re-sealed and
// how many it looked at. A session that no configured key opens is an
// error: removing its key early would lose it.
func (v *Vault) Reseal(ctx context.Context) (resealed, total int, err error) {
	after := ""
	for {
		page, err := v.opt.Store.ListUpstreamSessions(ctx, after, resealPage)
		if err != nil {
			return resealed, total, fmt.Errorf("vault: %w", err)
		}
		for _, u := range page {
			total++
			changed, err := v.reseal(ctx, u.ID)
			if err != nil {
				return resealed, total, err
			}
			if changed {
				resealed++
			}
		}
		if len(page) < resealPage {
			return resealed, total, nil
		}
		after = page[len(page)-1].ID
	}
}

func (v *Vault) reseal(ctx context.Context, sid string) (bool, error) {
	changed := false
	err := v.opt.Store.UpdateUpstreamSession(ctx, sid, v.opt.Now(), func(u storage.UpstreamSession) (storage.UpstreamSession, error) {
		changed = false
		if v.opt.Keyring.Current(u.Sealed) {
			return u, nil
		}
		e, err := v.open(sid, u.Sealed)
		if err != nil {
			return u, err
		}
		if u.Sealed, err = v.seal(sid, e); err != nil {
			return u, err
		}
		changed = true
		return u, nil
	})
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil // expired or deleted meanwhile: nothing to keep
	}
	return changed, err
}
