package sqlite

import (
	"context"
	"database/sql"
	"fmt"

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
	err := r.Scan(&c.ID, &c.SecretHash, &c.Name, listCol{&c.RedirectURIs}, listCol{&c.GrantTypes},
		listCol{&c.ResponseTypes}, &c.TokenEndpointAuthMethod, &c.ApplicationType, &c.Scope, &c.Kind,
		blobCol{&c.Metadata}, &c.Disabled, timeCol{&c.CreatedAt}, timeCol{&c.LastUsedAt}, timeCol{&c.ExpiresAt})
	return c, err
}

func getClient(ctx context.Context, q querier, id string) (storage.Client, error) {
	c, err := scanClient(q.QueryRowContext(ctx, clientCols.selectFrom("clients")+" WHERE id = ?", id))
	return c, notFound(err)
}

// CreateClient stores a new client; its ID must be unused.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	err := inserted(s.write.ExecContext(ctx, clientCols.insert("clients"), clientArgs(c)...))
	if err != nil {
		return fmt.Errorf("sqlite: create client %q: %w", c.ID, err)
	}
	return nil
}

// GetClient returns the client with that ID, expired or not.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := getClient(ctx, s.read, id)
	if err != nil {
		return storage.Client{}, fmt.Errorf("sqlite: get client %q: %w", id, err)
	}
	return c, nil
}

// UpdateClient rewrites the client with what fn makes of it.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		c, err := getClient(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("sqlite: update client %q: %w", id, err)
		}
		if c, err = fn(c); err != nil {
			return err
		}
		c.ID = id
		if _, err := tx.ExecContext(ctx, clientCols.update("clients"), updateArgs(clientArgs(c))...); err != nil {
			return fmt.Errorf("sqlite: update client %q: %w", id, err)
		}
		return nil
	})
}

// DeleteClient removes the client.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if err := deleted(s.write.ExecContext(ctx, `DELETE FROM clients WHERE id = ?`, id)); err != nil {
		return fmt.Errorf("sqlite: delete client %q: %w", id, err)
	}
	return nil
}

// ListClients returns stored clients by ID, after after, up to limit.
func (s *Store) ListClients(ctx context.Context, after string, limit int) ([]storage.Client, error) {
	rows, err := s.read.QueryContext(ctx, clientCols.selectFrom("clients")+" WHERE id > ? ORDER BY id"+limitClause(limit), after)
	cs, err := collect(rows, err, scanClient)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list clients: %w", err)
	}
	return cs, nil
}
