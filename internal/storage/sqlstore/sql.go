package sqlstore

import (
	"strconv"
	"strings"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// columns is a table's column list, key first, in the order of its args and
// scan functions, so that the SQL is written from one list. Placeholders
// follow the list ($1 is the key), so inserts and updates take the same args.
type columns []string

func (c columns) names() string { return strings.Join(c, ", ") }

// params is "$1, $2, ..." for the columns, numbered from first.
func (c columns) params(first int) string {
	ps := make([]string, len(c))
	for i := range c {
		ps[i] = "$" + strconv.Itoa(first+i)
	}
	return strings.Join(ps, ", ")
}

// insert is an INSERT that leaves an existing row alone, for inserted.
func (c columns) insert(table string) string {
	return "INSERT INTO " + table + " (" + c.names() + ") VALUES (" + c.params(1) +
		") ON CONFLICT (" + c[0] + ") DO NOTHING"
}

// update sets every column but the key from the same args as insert.
func (c columns) update(table string) string {
	sets := make([]string, 0, len(c)-1)
	for i, name := range c[1:] {
		sets = append(sets, name+" = $"+strconv.Itoa(i+2))
	}
	return "UPDATE " + table + " SET " + strings.Join(sets, ", ") + " WHERE " + c[0] + " = $1"
}

func (c columns) selectFrom(table string) string {
	return "SELECT " + c.names() + " FROM " + table
}

// limitClause is the LIMIT of a list query; 0 means none.
func limitClause(limit int) string {
	if limit <= 0 {
		return ""
	}
	return " LIMIT " + strconv.Itoa(limit)
}

// collect reads every row of a query with scan; no rows give nil.
func collect[T any](rows Rows, err error, scan func(Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// inserted checks an INSERT ... ON CONFLICT DO NOTHING: no row means the key
// was taken.
func inserted(n int64, err error) error {
	return affected(n, err, storage.ErrAlreadyExists)
}

// deleted checks a DELETE or UPDATE by key: no row means there was none.
func deleted(n int64, err error) error {
	return affected(n, err, storage.ErrNotFound)
}

func affected(n int64, err error, none error) error {
	if err != nil {
		return err
	}
	if n == 0 {
		return none
	}
	return nil
}
