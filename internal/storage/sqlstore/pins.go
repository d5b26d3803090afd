package sqlstore

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var pinCols = columns{"server", "tool", "hash", "name_key", "definition", "state", "reason",
	"first_seen_at", "seen_at", "decided_by", "decided_at"}

func scanPin(r Row) (storage.ToolPin, error) {
	var p storage.ToolPin
	err := r.Scan(&p.Server, &p.Tool, &p.Hash, &p.NameKey, blobCol{&p.Definition}, &p.State, &p.Reason,
		timeCol{&p.FirstSeenAt}, timeCol{&p.SeenAt}, &p.DecidedBy, timeCol{&p.DecidedAt})
	return p, err
}

const pinKey = " WHERE server = $1 AND tool = $2 AND hash = $3"

// CreateToolPin stores a definition unless it is stored already.
func (s *Store) CreateToolPin(ctx context.Context, p storage.ToolPin) error {
	err := inserted(s.e.Write.Exec(ctx, `INSERT INTO tool_pins (`+pinCols.names()+`) VALUES (`+pinCols.params(1)+`)
		ON CONFLICT (server, tool, hash) DO NOTHING`, p.Server, p.Tool, p.Hash, p.NameKey, blob(p.Definition),
		p.State, p.Reason, Stamp(p.FirstSeenAt), Stamp(p.SeenAt), p.DecidedBy, Stamp(p.DecidedAt)))
	if err != nil {
		return s.errorf("create tool pin %s/%q: %w", p.Server, p.Tool, err)
	}
	return nil
}

// ListToolPins returns the pins f selects, by server, tool, first seen,
// hash.
func (s *Store) ListToolPins(ctx context.Context, f storage.ToolPinFilter) ([]storage.ToolPin, error) {
	var set pinFilterSet
	args := make([]any, 0, 4)
	for i, v := range [...]string{f.Server, f.Tool, f.NameKey, f.State} {
		if v != "" {
			set |= 1 << i
			args = append(args, v)
		}
	}
	rows, err := s.e.Read.Query(ctx, set.query(), args...)
	ps, err := collect(rows, err, scanPin)
	if err != nil {
		return nil, s.errorf("list tool pins: %w", err)
	}
	return ps, nil
}

// pinFilterSet says which of a ToolPinFilter's fields are set (bit i for
// pinFilterCols[i]).
type pinFilterSet uint8

var pinFilterCols = [...]string{"server", "tool", "name_key", "state"}

// pinQueries are ListToolPins' SELECTs, one for each combination of
// filter fields, each built the first time it is needed: the gateway lists
// a tool's pins on every tools/call, and building the text again each
// time showed in its profile.
var pinQueries [1 << len(pinFilterCols)]struct {
	once sync.Once
	q    string
}

func (set pinFilterSet) query() string {
	p := &pinQueries[set]
	p.once.Do(func() {
		var where []string
		for i, col := range pinFilterCols {
			if set&(1<<i) != 0 {
				where = append(where, col+" = $"+strconv.Itoa(len(where)+1))
			}
		}
		q := pinCols.selectFrom("tool_pins")
		if len(where) > 0 {
			q += " WHERE " + strings.Join(where, " AND ")
		}
		p.q = q + " ORDER BY server, tool, first_seen_at, hash"
	})
	return p.q
}

// SeeToolPin moves a pin's SeenAt forward to at.
func (s *Store) SeeToolPin(ctx context.Context, k storage.ToolPinKey, at time.Time) error {
	n, err := s.e.Write.Exec(ctx, `UPDATE tool_pins SET seen_at = CASE WHEN seen_at IS NULL OR seen_at < $4 THEN $4 ELSE seen_at END`+
		pinKey, k.Server, k.Tool, k.Hash, Stamp(at))
	if err := deleted(n, err); err != nil {
		return s.errorf("see tool pin %s/%q: %w", k.Server, k.Tool, err)
	}
	return nil
}

// DecideToolPin sets a pin's state; approving one retires the tool's
// other approved pin in the same transaction, so that a tool never has two.
// Every pin of the tool is read for update, in one order, first: decisions
// on one tool run one after another (in PostgreSQL, two approvals of two
// definitions would otherwise each retire only what was approved before
// both began).
func (s *Store) DecideToolPin(ctx context.Context, k storage.ToolPinKey, state, by string, at time.Time) (storage.ToolPin, error) {
	var p storage.ToolPin
	err := s.inTx(ctx, func(q Querier) error {
		rows, err := q.Query(ctx, pinCols.selectFrom("tool_pins")+" WHERE server = $1 AND tool = $2 ORDER BY hash"+s.e.ForUpdate, k.Server, k.Tool)
		ps, err := collect(rows, err, scanPin)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ps, func(p storage.ToolPin) bool { return p.Hash == k.Hash })
		if i < 0 {
			return storage.ErrNotFound
		}
		p = ps[i]
		if state == storage.PinApproved {
			if _, err := q.Exec(ctx, `DELETE FROM tool_pins WHERE server = $1 AND tool = $2 AND hash <> $3 AND state = $4`,
				k.Server, k.Tool, k.Hash, storage.PinApproved); err != nil {
				return err
			}
		}
		p.State, p.DecidedBy, p.DecidedAt = state, by, utc(at)
		_, err = q.Exec(ctx, `UPDATE tool_pins SET state = $4, decided_by = $5, decided_at = $6`+pinKey,
			k.Server, k.Tool, k.Hash, state, by, Stamp(at))
		return err
	})
	if err != nil {
		return storage.ToolPin{}, s.errorf("decide tool pin %s/%q: %w", k.Server, k.Tool, err)
	}
	return p, nil
}
