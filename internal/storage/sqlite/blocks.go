package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var blockCols = columns{"kind", "value", "reason", "created_by", "created_at"}

func scanBlock(s scanner) (storage.ClientBlock, error) {
	var b storage.ClientBlock
	err := s.Scan(&b.Kind, &b.Value, &b.Reason, &b.CreatedBy, timeCol{&b.CreatedAt})
	return b, err
}

// PutClientBlock stores a block unless that kind and value are blocked.
func (s *Store) PutClientBlock(ctx context.Context, b storage.ClientBlock) error {
	err := inserted(s.write.ExecContext(ctx, `INSERT INTO client_blocks (`+blockCols.names()+`) VALUES (`+blockCols.params()+`)
		ON CONFLICT (kind, value) DO NOTHING`, b.Kind, b.Value, b.Reason, b.CreatedBy, stamp(b.CreatedAt)))
	if err != nil {
		return fmt.Errorf("sqlite: block %s %q: %w", b.Kind, b.Value, err)
	}
	return nil
}

// DeleteClientBlock lifts a block.
func (s *Store) DeleteClientBlock(ctx context.Context, kind, value string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM client_blocks WHERE kind = ? AND value = ?`, kind, value)
	if err := deleted(res, err); err != nil {
		return fmt.Errorf("sqlite: unblock %s %q: %w", kind, value, err)
	}
	return nil
}

// ListClientBlocks returns every block, by kind then value.
func (s *Store) ListClientBlocks(ctx context.Context) ([]storage.ClientBlock, error) {
	rows, err := s.read.QueryContext(ctx, blockCols.selectFrom("client_blocks")+" ORDER BY kind, value")
	bs, err := collect(rows, err, scanBlock)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list client blocks: %w", err)
	}
	return bs, nil
}

// FindClientBlock returns the block of clientID, else of one of hosts.
func (s *Store) FindClientBlock(ctx context.Context, clientID string, hosts []string) (storage.ClientBlock, error) {
	args := []any{clientID}
	for _, h := range hosts {
		args = append(args, h)
	}
	in := strings.TrimSuffix(strings.Repeat("?,", len(hosts)), ",")
	if in == "" {
		in = "NULL"
	}
	// 'client_id' sorts before 'host': a block of the client itself wins.
	row := s.read.QueryRowContext(ctx, blockCols.selectFrom("client_blocks")+
		` WHERE (kind = 'client_id' AND value = ?) OR (kind = 'host' AND value IN (`+in+`) AND value != '') ORDER BY kind LIMIT 1`,
		args...)
	b, err := scanBlock(row)
	if err := notFound(err); err != nil {
		return storage.ClientBlock{}, fmt.Errorf("sqlite: find client block: %w", err)
	}
	return b, nil
}
