package sqlite

import (
	"encoding/json"
	"fmt"

	"github.com/drawbridge-mcp/drawbridge/internal/storage/sqlstore"
)

// Lists of strings are JSON arrays in TEXT columns: SQLite has no array
// type. This is the one column type the engines store differently
// (sqlstore.Engine.List).

// list encodes a string slice as a JSON array; nil and empty are both "[]".
func list(v []string) any {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

// listCol decodes a JSON array column; an empty one becomes nil.
type listCol struct{ dst *[]string }

func scanList(dst *[]string) any { return listCol{dst} }

func (c listCol) Scan(src any) error {
	var v []string
	if err := sqlstore.UnmarshalText(src, &v); err != nil {
		return fmt.Errorf("list column: %w", err)
	}
	if len(v) == 0 {
		v = nil
	}
	*c.dst = v
	return nil
}
