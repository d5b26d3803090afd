package sqlstore

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// EndSignIns records the end of keys' sign-ins in one statement. The keys
// go in sorted and without repeats: PostgreSQL refuses a statement that
// updates one row twice, and two calls that lock the same rows in one
// order cannot deadlock. A record keeps the later time and expiry; the
// CASE reads the same in both engines (SQLite has no GREATEST).
func (s *Store) EndSignIns(ctx context.Context, keys []string, at, expires time.Time) error {
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	if len(keys) == 0 {
		return nil
	}
	args := []any{At(at), At(expires)}
	rows := make([]string, len(keys))
	for i, k := range keys {
		args = append(args, k)
		rows[i] = "($" + strconv.Itoa(len(args)) + ", $1, $2)"
	}
	_, err := s.e.Write.Exec(ctx, `INSERT INTO ended_signins (key, ended_at, expires_at) VALUES `+strings.Join(rows, ", ")+`
		ON CONFLICT (key) DO UPDATE SET
		ended_at = CASE WHEN excluded.ended_at > ended_signins.ended_at THEN excluded.ended_at ELSE ended_signins.ended_at END,
		expires_at = CASE WHEN excluded.expires_at > ended_signins.expires_at THEN excluded.expires_at ELSE ended_signins.expires_at END`,
		args...)
	if err != nil {
		return s.errorf("end sign-ins: %w", err)
	}
	return nil
}

// SignInsEndedAt reads the latest end among keys; MAX of no rows is NULL,
// which reads as the zero time.
func (s *Store) SignInsEndedAt(ctx context.Context, keys []string) (time.Time, error) {
	if len(keys) == 0 {
		return time.Time{}, nil
	}
	args := make([]any, len(keys))
	in := make([]string, len(keys))
	for i, k := range keys {
		args[i] = k
		in[i] = "$" + strconv.Itoa(i+1)
	}
	var ended time.Time
	err := s.e.Read.QueryRow(ctx, `SELECT MAX(ended_at) FROM ended_signins WHERE key IN (`+strings.Join(in, ", ")+`)`, args...).
		Scan(timeCol{&ended})
	if err != nil {
		return time.Time{}, s.errorf("sign-ins ended: %w", err)
	}
	return ended, nil
}
