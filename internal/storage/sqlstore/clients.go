package sqlstore

import (
	"context"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var clientCols = columns{"id", "secret_hash", "name", "redirect_uris", "grant_types",
	"response_types", "token_endpoint_auth_method", "application_type", "scope", "kind",
	"metadata", "disabled", "created_at", "last_used_at", "expires_at"}

func (s *Store) clientArgs(c storage.Client) []any {
	return []any{c.ID, c.SecretHash, c.Name, s.e.List(c.RedirectURIs), s.e.List(c.GrantTypes),
		s.e.List(c.ResponseTypes), c.TokenEndpointAuthMethod, c.ApplicationType, c.Scope, c.Kind,
		blob(c.Metadata), c.Disabled, Stamp(c.CreatedAt), Stamp(c.LastUsedAt), Stamp(c.ExpiresAt)}
}

func (s *Store) scanClient(r Row) (storage.Client, error) {
	var c storage.Client
	err := r.Scan(&c.ID, &c.SecretHash, &c.Name, s.e.ScanList(&c.RedirectURIs), s.e.ScanList(&c.GrantTypes),
		s.e.ScanList(&c.ResponseTypes), &c.TokenEndpointAuthMethod, &c.ApplicationType, &c.Scope, &c.Kind,
		blobCol{&c.Metadata}, &c.Disabled, timeCol{&c.CreatedAt}, timeCol{&c.LastUsedAt}, timeCol{&c.ExpiresAt})
	return c, err
}

// getClient reads a client; lock is "" or Engine.ForUpdate.
func (s *Store) getClient(ctx context.Context, q Querier, id, lock string) (storage.Client, error) {
	return s.scanClient(q.QueryRow(ctx, clientCols.selectFrom("clients")+" WHERE id = $1"+lock, id))
}

// CreateClient stores a new client; its ID must be unused.
func (s *Store) CreateClient(ctx context.Context, c storage.Client) error {
	if err := inserted(s.e.Write.Exec(ctx, clientCols.insert("clients"), s.clientArgs(c)...)); err != nil {
		return s.errorf("create client %q: %w", c.ID, err)
	}
	return nil
}

// GetClient returns the client with that ID, expired or not.
func (s *Store) GetClient(ctx context.Context, id string) (storage.Client, error) {
	c, err := s.getClient(ctx, s.e.Read, id, "")
	if err != nil {
		return storage.Client{}, s.errorf("get client %q: %w", id, err)
	}
	return c, nil
}

// UpdateClient rewrites the client with what fn makes of it. The row stays
// locked from the read to the write, so concurrent updates (from any
// replica) apply one after another and none is lost.
func (s *Store) UpdateClient(ctx context.Context, id string, fn func(storage.Client) (storage.Client, error)) error {
	return s.inTx(ctx, func(q Querier) error {
		c, err := s.getClient(ctx, q, id, s.e.ForUpdate)
		if err != nil {
			return s.errorf("update client %q: %w", id, err)
		}
		if c, err = fn(c); err != nil {
			return &CallerError{err}
		}
		c.ID = id
		if _, err := q.Exec(ctx, clientCols.update("clients"), s.clientArgs(c)...); err != nil {
			return s.errorf("update client %q: %w", id, err)
		}
		return nil
	})
}

// DeleteClient removes the client.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	if err := deleted(s.e.Write.Exec(ctx, `DELETE FROM clients WHERE id = $1`, id)); err != nil {
		return s.errorf("delete client %q: %w", id, err)
	}
	return nil
}

// ListClients returns stored clients by ID, after after, up to limit.
func (s *Store) ListClients(ctx context.Context, after string, limit int) ([]storage.Client, error) {
	rows, err := s.e.Read.Query(ctx, clientCols.selectFrom("clients")+" WHERE id > $1 ORDER BY id"+limitClause(limit), after)
	cs, err := collect(rows, err, s.scanClient)
	if err != nil {
		return nil, s.errorf("list clients: %w", err)
	}
	return cs, nil
}
