package admin

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// Lists of clients and grants come a page at a time, so that a store with
// many thousands of registrations stays usable: `limit` rows (DefaultPage,
// at most MaxPage) after the opaque cursor `after` that the previous page
// returned as `next`. The cursor is the last row's key (keyset paging), so
// rows added or removed meanwhile cause neither repeats nor gaps.
const (
	DefaultPage = 100
	MaxPage     = 1000
)

// ParseLimit reads the limit parameter: def when absent, at most MaxPage
// (as for the audit trail, a larger one is cut to it).
func ParseLimit(q url.Values, def int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("limit must be a positive number")
	}
	return min(n, MaxPage), nil
}

var errCursor = errors.New("after is not a cursor from a previous page")

// ClientCursor is the cursor after a client.
func ClientCursor(c storage.Client) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.ID))
}

// ParseClientCursor reads a ClientCursor; "" is the first page.
func ParseClientCursor(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", errCursor
	}
	return string(b), nil
}

// GrantCursor is the cursor after a grant.
func GrantCursor(g storage.Grant) string {
	return base64.RawURLEncoding.EncodeToString([]byte(g.CreatedAt.UTC().Format(time.RFC3339Nano) + " " + g.ID))
}

// ParseGrantCursor reads a GrantCursor; "" is the first page (nil).
func ParseGrantCursor(s string) (*storage.GrantKey, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errCursor
	}
	ts, id, ok := strings.Cut(string(b), " ")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil || id == "" {
		return nil, errCursor
	}
	return &storage.GrantKey{CreatedAt: t, ID: id}, nil
}

// ClientPage lists up to limit stored clients after the cursor, and the
// cursor of the next page ("" after the last).
func (a *API) ClientPage(ctx context.Context, after string, limit int) ([]storage.Client, string, error) {
	id, err := ParseClientCursor(after)
	if err != nil {
		return nil, "", err
	}
	cs, err := a.opt.Store.ListClients(ctx, id, limit+1)
	if err != nil || len(cs) <= limit {
		return cs, "", err
	}
	return cs[:limit], ClientCursor(cs[limit-1]), nil
}

// GrantPage lists up to limit grants that f selects, newest first, after
// the cursor, and the cursor of the next page ("" after the last).
func (a *API) GrantPage(ctx context.Context, f storage.GrantFilter, after string, limit int) ([]storage.Grant, string, error) {
	key, err := ParseGrantCursor(after)
	if err != nil {
		return nil, "", err
	}
	f.NewestFirst, f.After, f.Limit = true, key, limit+1
	gs, err := a.opt.Store.ListGrants(ctx, f)
	if err != nil || len(gs) <= limit {
		return gs, "", err
	}
	return gs[:limit], GrantCursor(gs[limit-1]), nil
}

// IsBadCursor reports whether err is a cursor that could not be read: the
// caller's mistake, not the store's.
func IsBadCursor(err error) bool { return errors.Is(err, errCursor) }
