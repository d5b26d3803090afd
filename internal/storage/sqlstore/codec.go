package sqlstore

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Both engines store a time as a BIGINT of Unix nanoseconds in UTC, NULL for
// the zero time (TIMESTAMPTZ keeps only microseconds, and the Store keeps
// nanoseconds), and an identity or a consent's approvals as JSON text. The
// scan destinations below are database/sql Scanners, which pgx honours too.

// The instants an int64 of Unix nanoseconds can hold.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// At encodes a time for comparison. The zero time is the earliest instant, so
// it becomes the smallest value and orders as Go orders it; times beyond the
// range are clamped, which keeps every comparison the right way round.
func At(t time.Time) int64 {
	switch {
	case t.IsZero(), t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// Stamp encodes a time for storage: NULL for the zero time, so that a zero
// expiry ("never") matches no comparison.
func Stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return At(t)
}

// fromNanos is what a stored time reads back as.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// utc is what a time looks like after a round trip through the database.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return fromNanos(At(t))
}

// approved encodes a consent's approvals as a JSON object of resource to
// scopes ("{}" for none).
func approved(m map[string][]string) string {
	if len(m) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(m) // strings only: always marshals
	return string(b)
}

// identity encodes an identity as JSON. It is passed as a string, not
// []byte: with PostgreSQL's simple protocol (behind PgBouncer, say) pgx
// would send []byte as a bytea literal.
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

// blob encodes bytes, NULL when empty so that empty and nil are one value.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// The scanners below decode columns straight into struct fields, so that each
// entity is read by a single Scan call.

type timeCol struct{ dst *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.dst = time.Time{}
	case int64:
		*c.dst = fromNanos(v)
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

type approvedCol struct{ dst *map[string][]string }

func (c approvedCol) Scan(src any) error {
	var m map[string][]string
	if err := UnmarshalText(src, &m); err != nil {
		return fmt.Errorf("approved column: %w", err)
	}
	*c.dst = storage.MergeApproved(nil, m) // empty lists and maps become nil
	return nil
}

type identityCol struct{ dst *storage.Identity }

func (c identityCol) Scan(src any) error {
	var id storage.Identity
	if err := UnmarshalText(src, &id); err != nil {
		return fmt.Errorf("identity column: %w", err)
	}
	if len(id.Groups) == 0 {
		id.Groups = nil
	}
	*c.dst = id
	return nil
}

type optIdentityCol struct{ dst **storage.Identity }

func (c optIdentityCol) Scan(src any) error {
	if src == nil {
		*c.dst = nil
		return nil
	}
	id := new(storage.Identity)
	if err := (identityCol{id}).Scan(src); err != nil {
		return err
	}
	*c.dst = id
	return nil
}

type blobCol struct{ dst *[]byte }

func (c blobCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.dst = nil
	case []byte:
		// The driver owns src's memory only until the next Scan.
		*c.dst = nil
		if len(v) > 0 {
			*c.dst = append([]byte(nil), v...)
		}
	default:
		return fmt.Errorf("blob column holds %T", src)
	}
	return nil
}

// UnmarshalText decodes a JSON column, which drivers give as a string or as
// bytes, into dst.
func UnmarshalText(src, dst any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), dst)
	case []byte:
		return json.Unmarshal(v, dst)
	}
	return fmt.Errorf("holds %T", src)
}
