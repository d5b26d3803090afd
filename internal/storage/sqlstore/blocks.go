package sqlstore

import (
	"context"
	"strconv"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var blockCols = columns{"kind", "value", "reason", "created_by", "created_at"}

func scanBlock(r Row) (storage.ClientBlock, error) {
	var b storage.ClientBlock
	err := r.Scan(&b.Kind, &b.Value, &b.Reason, &b.CreatedBy, timeCol{&b.CreatedAt})
	return b, err
}

// PutClientBlock stores a block unless that kind and value are blocked.
func (s *Store) PutClientBlock(ctx context.Context, b storage.ClientBlock) error {
	err := inserted(s.e.Write.Exec(ctx, `INSERT INTO client_blocks (`+blockCols.names()+`) VALUES (`+blockCols.params(1)+`)
		ON CONFLICT (kind, value) DO NOTHING`, b.Kind, b.Value, b.Reason, b.CreatedBy, Stamp(b.CreatedAt)))
	if err != nil {
		return s.errorf("block %s %q: %w", b.Kind, b.Value, err)
	}
	return nil
}

// DeleteClientBlock lifts a block.
func (s *Store) DeleteClientBlock(ctx context.Context, kind, value string) error {
	n, err := s.e.Write.Exec(ctx, `DELETE FROM client_blocks WHERE kind = $1 AND value = $2`, kind, value)
	if err := deleted(n, err); err != nil {
		return s.errorf("unblock %s %q: %w", kind, value, err)
	}
	return nil
}

// ListClientBlocks returns every block, by kind then value.
func (s *Store) ListClientBlocks(ctx context.Context) ([]storage.ClientBlock, error) {
	rows, err := s.e.Read.Query(ctx, blockCols.selectFrom("client_blocks")+" ORDER BY kind, value")
	bs, err := collect(rows, err, scanBlock)
	if err != nil {
		return nil, s.errorf("list client blocks: %w", err)
	}
	return bs, nil
}

// FindClientBlock returns the block of clientID, else of one of hosts.
func (s *Store) FindClientBlock(ctx context.Context, clientID string, hosts []string) (storage.ClientBlock, error) {
	args := []any{clientID}
	in := make([]string, 0, len(hosts))
	for _, h := range hosts {
		args = append(args, h)
		in = append(in, "$"+strconv.Itoa(len(args)))
	}
	if len(in) == 0 {
		in = append(in, "NULL")
	}
	// 'client_id' sorts before 'host' (byte order in both engines): a block
	// of the client itself wins.
	row := s.e.Read.QueryRow(ctx, blockCols.selectFrom("client_blocks")+
		` WHERE (kind = 'client_id' AND value = $1) OR (kind = 'host' AND value IN (`+strings.Join(in, ", ")+
		`) AND value <> '') ORDER BY kind LIMIT 1`, args...)
	b, err := scanBlock(row)
	if err != nil {
		return storage.ClientBlock{}, s.errorf("find client block: %w", err)
	}
	return b, nil
}
