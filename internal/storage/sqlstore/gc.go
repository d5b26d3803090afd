package sqlstore

import (
	"context"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// DeleteExpiring is the part of DeleteExpired the engines share: it deletes
// the rows that expire on their own, in every table but grants and refresh
// tokens (which each backend removes in its own way, keeping its lock
// order), inside the backend's sweep transaction q, and counts them into r.
// now is At of the sweep's time; a NULL expiry ("never") matches nothing.
func DeleteExpiring(ctx context.Context, q Querier, r *storage.GCResult, now int64) error {
	for _, st := range []struct {
		count *int
		table string
	}{
		{&r.AuthRequests, "auth_requests"},
		{&r.AuthCodes, "auth_codes"},
		{&r.Clients, "clients"},
		{&r.UpstreamSessions, "upstream_sessions"},
		{&r.SigningKeys, "signing_keys"},
		{&r.Once, "once"},
		{&r.SessionBindings, "session_bindings"},
		{&r.EndedSignIns, "ended_signins"},
	} {
		n, err := q.Exec(ctx, `DELETE FROM `+st.table+` WHERE expires_at <= $1`, now)
		if err != nil {
			return err
		}
		*st.count = int(n)
	}
	return nil
}
