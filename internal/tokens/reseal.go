package tokens

import (
	"context"
	"errors"
	"fmt"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// ResealKeys re-encrypts every stored signing key that an older encryption
// key sealed with the ring's sealing (first) key, so that the older key can
// leave the configuration. It reports how many keys it re-sealed and how
// many it looked at. A key that no configured encryption key opens is an
// error: removing its encryption key early would lose it.
func ResealKeys(ctx context.Context, store storage.Store, ring *Keyring) (resealed, total int, err error) {
	recs, err := store.ListSigningKeys(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("tokens: listing signing keys: %w", err)
	}
	for _, r := range recs {
		total++
		if ring.Current(r.PrivateSealed) {
			continue
		}
		der, err := ring.Open(r.PrivateSealed, keyAAD(r.ID))
		if err != nil {
			return resealed, total, fmt.Errorf("tokens: opening signing key %s: %w", r.ID, err)
		}
		sealed, err := ring.Seal(der, keyAAD(r.ID))
		if err != nil {
			return resealed, total, err
		}
		switch err := store.ResealSigningKey(ctx, r.ID, r.PrivateSealed, sealed); {
		case errors.Is(err, storage.ErrNotFound):
			// Deleted or re-sealed by another replica meanwhile.
		case err != nil:
			return resealed, total, fmt.Errorf("tokens: storing signing key %s: %w", r.ID, err)
		default:
			resealed++
		}
	}
	return resealed, total, nil
}
