package postgres

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Times are BIGINT Unix nanoseconds rather than TIMESTAMPTZ, because
// TIMESTAMPTZ keeps microseconds and the Store contract keeps nanoseconds.

// The instants an int64 of Unix nanoseconds can hold.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// at encodes a time for comparison. The zero time is the earliest instant, so
// it becomes the smallest value and orders as Go orders it; times beyond the
// range are clamped, which keeps every comparison the right way round.
func at(t time.Time) int64 {
	switch {
	case t.IsZero(), t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// stamp encodes a time for storage: NULL for the zero time, so that a zero
// expiry ("never") matches no comparison.
func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return at(t)
}

// fromNanos is what a stored BIGINT time reads back as.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// utc is what a time looks like after a round trip through the database.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return fromNanos(at(t))
}

// nanoTime scans a BIGINT time column straight into a time.Time field:
// (*nanoTime)(&x.CreatedAt). NULL is the zero time.
type nanoTime time.Time

// ScanInt64 implements pgtype.Int64Scanner.
func (t *nanoTime) ScanInt64(v pgtype.Int8) error {
	if !v.Valid {
		*t = nanoTime{}
		return nil
	}
	*t = nanoTime(fromNanos(v.Int64))
	return nil
}

// list encodes a string slice for a TEXT[] column, which is NOT NULL: nil
// would encode as NULL, so it becomes the empty array.
func list(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// nilIfEmpty normalises slices read back: an empty array comes back nil.
func nilIfEmpty(lists ...*[]string) {
	for _, l := range lists {
		if len(*l) == 0 {
			*l = nil
		}
	}
}

// approved encodes a consent's approvals for a JSONB column, as a JSON
// object of resource to scopes ("{}" for none); a string, as identity
// explains.
func approved(m map[string][]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // strings only: always marshals
	return string(b)
}

func decodeApproved(raw []byte) (map[string][]string, error) {
	var m map[string][]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("approved column: %w", err)
	}
	return storage.MergeApproved(nil, m), nil // empty lists and maps become nil
}

// identity encodes an identity for a JSONB column. It is passed as a string,
// not []byte, because with the simple protocol (for example behind
// PgBouncer) pgx would send []byte as a bytea literal.
func identity(id storage.Identity) string {
	b, _ := json.Marshal(id) // only strings: always marshals
	return string(b)
}

// optIdentity encodes a possibly absent identity, NULL when absent.
func optIdentity(id *storage.Identity) any {
	if id == nil {
		return nil
	}
	return identity(*id)
}

func decodeIdentity(raw []byte) (storage.Identity, error) {
	var id storage.Identity
	if err := json.Unmarshal(raw, &id); err != nil {
		return id, fmt.Errorf("identity column: %w", err)
	}
	if len(id.Groups) == 0 {
		id.Groups = nil
	}
	return id, nil
}

// decodeOptIdentity decodes a nullable identity column.
func decodeOptIdentity(raw []byte) (*storage.Identity, error) {
	if raw == nil {
		return nil, nil
	}
	id, err := decodeIdentity(raw)
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// blob encodes bytes for a BYTEA column, NULL when empty so that empty and
// nil are one value; reading NULL gives nil.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
