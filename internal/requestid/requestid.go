package requestid

import "context"

type key struct{}

// entry is the context With returns: its parent, the id, and the id as
// the one value of a header, so that echoing it costs no allocation of its
// own. Being the context itself, it is one allocation, not a value and a
// context.WithValue around it.
type entry struct {
	context.Context
	id     string
	header [1]string
}

func (e *entry) Value(k any) any {
	if k == (key{}) {
		return e
	}
	return e.Context.Value(k)
}

// With returns a context carrying id.
func With(ctx context.Context, id string) context.Context {
	e := &entry{Context: ctx, id: id}
	e.header[0] = id
	return e
}

// From returns the request id in ctx, or "".
func From(ctx context.Context) string {
	if e, _ := ctx.Value(key{}).(*entry); e != nil {
		return e.id
	}
	return ""
}

// HeaderValue is the request id in ctx as the values of a header (one),
// to be set and never changed in place; nil when ctx carries none.
func HeaderValue(ctx context.Context) []string {
	if e, _ := ctx.Value(key{}).(*entry); e != nil {
		return e.header[:]
	}
	return nil
}
