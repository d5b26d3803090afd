package postgres

import (
	"context"
	"fmt"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var signingKeyCols = columns{"id", "algorithm", "private_sealed", "public_jwk", "created_at", "not_after", "expires_at"}

func scanSigningKey(s scanner) (storage.SigningKey, error) {
	var k storage.SigningKey
	err := s.Scan(&k.ID, &k.Algorithm, &k.PrivateSealed, &k.PublicJWK, (*nanoTime)(&k.CreatedAt),
		(*nanoTime)(&k.NotAfter), (*nanoTime)(&k.ExpiresAt))
	return k, err
}

// CreateSigningKey stores a new key; its ID must be unused.
func (s *Store) CreateSigningKey(ctx context.Context, k storage.SigningKey) error {
	err := inserted(s.pool.Exec(ctx, signingKeyCols.insert("signing_keys"), k.ID, k.Algorithm,
		blob(k.PrivateSealed), blob(k.PublicJWK), stamp(k.CreatedAt), stamp(k.NotAfter), stamp(k.ExpiresAt)))
	if err != nil {
		return fmt.Errorf("postgres: create signing key %q: %w", k.ID, err)
	}
	return nil
}

// ListSigningKeys returns every stored key, oldest first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]storage.SigningKey, error) {
	rows, err := s.pool.Query(ctx, signingKeyCols.selectFrom("signing_keys")+" ORDER BY created_at NULLS FIRST, id")
	ks, err := collect(rows, err, scanSigningKey)
	if err != nil {
		return nil, fmt.Errorf("postgres: list signing keys: %w", err)
	}
	return ks, nil
}

// ResealSigningKey swaps the sealed private key if it is still old.
func (s *Store) ResealSigningKey(ctx context.Context, id string, old, sealed []byte) error {
	err := deleted(s.pool.Exec(ctx, `UPDATE signing_keys SET private_sealed = $2 WHERE id = $1 AND private_sealed = $3`,
		id, blob(sealed), blob(old)))
	if err != nil {
		return fmt.Errorf("postgres: reseal signing key %q: %w", id, err)
	}
	return nil
}

// DeleteSigningKey removes the key.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	if err := deleted(s.pool.Exec(ctx, `DELETE FROM signing_keys WHERE id = $1`, id)); err != nil {
		return fmt.Errorf("postgres: delete signing key %q: %w", id, err)
	}
	return nil
}
