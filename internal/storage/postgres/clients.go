package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var clientCols = columns{"id", "secret_hash", "name", "redirect_uris", "grant_types",
	"response_types", "token_endpoint_auth_method", "application_type", "scope", "kind",
	"metadata", "disabled", "created_at", "last_used_at", "expires_at"}

func clientArgs(c storage.Client) []any {
	return []any{c.ID, c.SecretHash, c.Name, list(c.RedirectURIs), list(c.GrantTypes),
		list(c.ResponseTypes), c.TokenEndpointAuthMethod, c.ApplicationType, c.Scope, c.Kind,
		blob(c.Metadata), c.Disabled, stamp(c.CreatedAt), stamp(c.LastUsedAt), stamp(c.ExpiresAt)}
}

func scanClient(r scanner) (storage.Client, error) {
	var c storage.Client
	err := r.Scan(&c.ID, &c.SecretHash, &c.Name, &c.RedirectURIs, &c.GrantTypes,
		&c.ResponseTypes, &c.TokenEndpointAuthMethod, &c.ApplicationType, &c.Scope, &c.Kind,
		&c.Metadata, &c.Disabled, (*nanoTime)(&c.CreatedAt), (*nanoTime)(&c.LastUsedAt), (*nanoTime)(&c.ExpiresAt))
	nilIfEmpty(&c.RedirectURIs, &c.GrantTypes, &c.ResponseTypes)
	return c, err
}

// getClient reads a client; lock is "" or " FOR UPDATE".
func getClient(ctx context.Context, q querier, id, lock string) (storage.Client, error) {
	c, err := scanClient(q.QueryRow(ctx, clientCols.selectFrom("clients")+" WHERE id = $1"+lock, id))
	return c, notFound(err)
}

// CreateClient stores a new client; its ID must be unused.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	if err := inserted(s.pool.Exec(ctx, clientCols.insert("clients"), clientArgs(c)...)); err != nil {
		return fmt.Errorf("postgres: create client %q: %w", c.ID, err)
	}
	return nil
}

// GetClient returns the client with that ID, expired or not.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := getClient(ctx, s.pool, id, "")
	if err != nil {
		return storage.Client{}, fmt.Errorf("postgres: get client %q: %w", id, err)
	}
	return c, nil
}

// UpdateClient rewrites the client with what fn makes of it. The row stays
// locked from the read to the write, so concurrent updates (from any
// replica) apply one after another and none is lost. fn may run again if
// PostgreSQL aborts the transaction for a deadlock.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		c, err := getClient(ctx, tx, id, " FOR UPDATE")
		if err != nil {
			return fmt.Errorf("postgres: update client %q: %w", id, err)
		}
		if c, err = fn(c); err != nil {
			return &callerError{err}
		}
		c.ID = id
		if _, err := tx.Exec(ctx, clientCols.update("clients"), clientArgs(c)...); err != nil {
			return fmt.Errorf("postgres: update client %q: %w", id, err)
		}
		return nil
	})
}

// DeleteClient removes the client.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if err := deleted(s.pool.Exec(ctx, `DELETE FROM clients WHERE id = $1`, id)); err != nil {
		return fmt.Errorf("postgres: delete client %q: %w", id, err)
	}
	return nil
}

// ListClients returns every stored client, by ID.
func (s *Store) ListClients(ctx context.Context, after string, limit int) ([]storage.Client, error) {
	rows, err := s.pool.Query(ctx, clientCols.selectFrom("clients")+" WHERE id > $1 ORDER BY id"+limitClause(limit), after)
	cs, err := collect(rows, err, scanClient)
	if err != nil {
		return nil, fmt.Errorf("postgres: list clients: %w", err)
	}
	return cs, nil
}
