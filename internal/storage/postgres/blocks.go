package postgres

import (
	"context"
	"fmt"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var blockCols = columns{"kind", "value", "reason", "created_by", "created_at"}

func scanBlock(s scanner) (storage.ClientBlock, error) {
	var b storage.ClientBlock
	err := s.Scan(&b.Kind, &b.Value, &b.Reason, &b.CreatedBy, (*nanoTime)(&b.CreatedAt))
	return b, err
}

// PutClientBlock stores a block unless that kind and value are blocked.
func (s *Store) PutClientBlock(ctx context.Context, b storage.ClientBlock) error {
	err := inserted(s.pool.Exec(ctx, `INSERT INTO client_blocks (`+blockCols.names()+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (kind, value) DO NOTHING`, b.Kind, b.Value, b.Reason, b.CreatedBy, stamp(b.CreatedAt)))
	if err != nil {
		return fmt.Errorf("postgres: block %s %q: %w", b.Kind, b.Value, err)
	}
	return nil
}

// DeleteClientBlock lifts a block.
func (s *Store) DeleteClientBlock(ctx context.Context, kind, value string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM client_blocks WHERE kind = $1 AND value = $2`, kind, value)
	if err := deleted(tag, err); err != nil {
		return fmt.Errorf("postgres: unblock %s %q: %w", kind, value, err)
	}
	return nil
}

// ListClientBlocks returns every block, by kind then value.
func (s *Store) ListClientBlocks(ctx context.Context) ([]storage.ClientBlock, error) {
	rows, err := s.pool.Query(ctx, blockCols.selectFrom("client_blocks")+" ORDER BY kind, value")
	bs, err := collect(rows, err, scanBlock)
	if err != nil {
		return nil, fmt.Errorf("postgres: list client blocks: %w", err)
	}
	return bs, nil
}

// FindClientBlock returns the block of clientID, else of one of hosts.
func (s *Store) FindClientBlock(ctx context.Context, clientID string, hosts []string) (storage.ClientBlock, error) {
	if hosts == nil {
		hosts = []string{}
	}
	// 'client_id' sorts before 'host' (COLLATE "C"): a block of the client
	// itself wins.
	row := s.pool.QueryRow(ctx, blockCols.selectFrom("client_blocks")+
		` WHERE (kind = 'client_id' AND value = $1) OR (kind = 'host' AND value = ANY($2) AND value <> '') ORDER BY kind LIMIT 1`,
		clientID, hosts)
	b, err := scanBlock(row)
	if err := notFound(err); err != nil {
		return storage.ClientBlock{}, fmt.Errorf("postgres: find client block: %w", err)
	}
	return b, nil
}
