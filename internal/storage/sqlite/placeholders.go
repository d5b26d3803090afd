package sqlite

import (
	"strconv"
	"strings"
	"sync"
)

// The shared store writes placeholders as $N, the Nth argument. SQLite
// understands them, but as named parameters, which it resolves at prepare
// time by a linear search per parameter: the audit trail's INSERT of 64
// rows, 704 parameters, took four times as long as with plain ?. So the
// querier hands SQLite positional ? placeholders, with the arguments in the
// order the placeholders appear (repeated where a $N is).

// positional is a query rewritten with ? placeholders.
type positional struct {
	query string
	order []int // for each ?, the index of its argument
}

// rewritten caches positional forms by query. Queries are the shared
// store's own text, so there are few of them: the variable parts (filters,
// IN lists of a host's parent domains, batches of audit rows) have bounded
// shapes.
var rewritten sync.Map

// rebind returns query with ? placeholders and the arguments in their
// order. A query naming an argument the caller did not pass is returned as
// it is, for SQLite to report.
func rebind(query string, args []any) (string, []any) {
	if !strings.Contains(query, "$") {
		return query, args
	}
	v, ok := rewritten.Load(query)
	if !ok {
		v, _ = rewritten.LoadOrStore(query, toPositional(query))
	}
	p := v.(positional)
	out := make([]any, len(p.order))
	for k, i := range p.order {
		if i >= len(args) {
			return query, args
		}
		out[k] = args[i]
	}
	return p.query, out
}

// toPositional replaces each $N with ?. The shared store's SQL has no $ in
// string literals or identifiers, so every $ followed by digits is a
// placeholder.
func toPositional(query string) positional {
	var b strings.Builder
	var order []int
	for i := 0; i < len(query); i++ {
		j := i + 1
		for j < len(query) && query[j] >= '0' && query[j] <= '9' {
			j++
		}
		if query[i] != '$' || j == i+1 {
			b.WriteByte(query[i])
			continue
		}
		n, _ := strconv.Atoi(query[i+1 : j])
		order = append(order, n-1)
		b.WriteByte('?')
		i = j - 1
	}
	return positional{query: b.String(), order: order}
}
