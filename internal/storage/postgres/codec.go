package postgres

import (
	"github.com/jackc/pgx/v5/pgtype"
)

// Lists of strings are TEXT[] columns. This is the one column type the
// engines store differently (sqlstore.Engine.List); times, identities and
// bytes are read through the shared store's database/sql Scanners, which pgx
// honours.

// list encodes a string slice for a TEXT[] column, which is NOT NULL: nil
// would encode as NULL, so it becomes the empty array.
func list(v []string) any {
	if v == nil {
		return []string{}
	}
	return v
}

// textList decodes a TEXT[] column into dst, an empty array as nil. It is a
// pgtype.ArraySetter, so pgx fills it element by element.
type textList struct{ dst *[]string }

func scanList(dst *[]string) any { return textList{dst} }

// SetDimensions sizes the list; no dimensions is NULL, which the columns
// never hold, and reads as nil like an empty array.
func (l textList) SetDimensions(dims []pgtype.ArrayDimension) error {
	n := 0
	if len(dims) > 0 {
		n = 1
		for _, d := range dims {
			n *= int(d.Length)
		}
	}
	*l.dst = nil
	if n > 0 {
		*l.dst = make([]string, n)
	}
	return nil
}

func (l textList) ScanIndex(i int) any { return &(*l.dst)[i] }

func (l textList) ScanIndexType() any { return new(string) }
