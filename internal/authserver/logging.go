package authserver

import (
	"context"
	"errors"
	"log/slog"
)

// abandonedLogger is log with one rule: an error record whose err is a
// cancelled context is written at info level with abandoned=true. A
// store call cut short because the client went away (or the server is
// shutting down) is not a fault of the server, and an operator paged on
// ERROR lines must not be woken by every client that hangs up mid-request.
func abandonedLogger(log *slog.Logger) *slog.Logger {
	return slog.New(abandonedHandler{log.Handler()})
}

type abandonedHandler struct{ slog.Handler }

func (h abandonedHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError && hasCanceledErr(r) {
		q := slog.NewRecord(r.Time, slog.LevelInfo, r.Message, r.PC)
		r.Attrs(func(a slog.Attr) bool { q.AddAttrs(a); return true })
		q.AddAttrs(slog.Bool("abandoned", true))
		if !h.Handler.Enabled(ctx, slog.LevelInfo) {
			return nil
		}
		return h.Handler.Handle(ctx, q)
	}
	return h.Handler.Handle(ctx, r)
}

func (h abandonedHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return abandonedHandler{h.Handler.WithAttrs(as)}
}

func (h abandonedHandler) WithGroup(name string) slog.Handler {
	return abandonedHandler{h.Handler.WithGroup(name)}
}

// hasCanceledErr reports whether r carries an error attribute that is a
// cancelled context.
func hasCanceledErr(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Resolve().Any().(error); ok && errors.Is(err, context.Canceled) {
			found = true
			return false
		}
		return true
	})
	return found
}
