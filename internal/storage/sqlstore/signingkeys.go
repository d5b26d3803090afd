package sqlstore

import (
	"context"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var signingKeyCols = columns{"id", "algorithm", "private_sealed", "public_jwk", "created_at", "not_after", "expires_at"}

func scanSigningKey(r Row) (storage.SigningKey, error) {
	var k storage.SigningKey
	err := r.Scan(&k.ID, &k.Algorithm, blobCol{&k.PrivateSealed}, blobCol{&k.PublicJWK}, timeCol{&k.CreatedAt},
		timeCol{&k.NotAfter}, timeCol{&k.ExpiresAt})
	return k, err
}

// CreateSigningKey stores a new key; its ID must be unused.
func (s *Store) CreateSigningKey(ctx context.Context, k storage.SigningKey) error {
	err := inserted(s.e.Write.Exec(ctx, signingKeyCols.insert("signing_keys"), k.ID, k.Algorithm,
		blob(k.PrivateSealed), blob(k.PublicJWK), Stamp(k.CreatedAt), Stamp(k.NotAfter), Stamp(k.ExpiresAt)))
	if err != nil {
		return s.errorf("create signing key %q: %w", k.ID, err)
	}
	return nil
}

// ListSigningKeys returns every stored key, oldest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	rows, err := s.e.Read.Query(ctx, signingKeyCols.selectFrom("signing_keys")+" ORDER BY created_at NULLS FIRST, id")
	ks, err := collect(rows, err, scanSigningKey)
	if err != nil {
		return nil, s.errorf("list signing keys: %w", err)
	}
	return ks, nil
}

// ResealSigningKey swaps the sealed private key if it is still old.
func (s *Store) ResealSigningKey(ctx context.Context, id string, old, sealed []byte) error {
	err := deleted(s.e.Write.Exec(ctx, `UPDATE signing_keys SET private_sealed = $2 WHERE id = $1 AND private_sealed = $3`,
		id, blob(sealed), blob(old)))
	if err != nil {
		return s.errorf("reseal signing key %q: %w", id, err)
	}
	return nil
}

// DeleteSigningKey removes the key.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	if err := deleted(s.e.Write.Exec(ctx, `DELETE FROM signing_keys WHERE id = $1`, id)); err != nil {
		return s.errorf("delete signing key %q: %w", id, err)
	}
	return nil
}
