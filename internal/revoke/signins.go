package revoke

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// EndedSignInsKept is how long the record of ended sign-ins is kept. It
// must outlive every authorization whose sign-in came before the end: the
// request (tokens.login_ttl, an hour at most) and then its code
// (tokens.code_ttl, ten minutes at most). A day leaves ample room.
const EndedSignInsKept = 24 * time.Hour

// The keys of ended sign-ins. Each names what a revocation or logout ends:
// a user, a user with one client, a client, or, at an upstream provider
// and issuer, a user or one session. The parts come from users and
// identity providers, so a key is a hash of them, length-prefixed so that
// no two lists of parts hash alike.

// UserKey names every sign-in of Drawbridge's subject sub.
func UserKey(sub string) string { return signInKey("user", sub) }

// UserClientKey names the sign-ins of sub for one client.
func UserClientKey(sub, clientID string) string { return signInKey("user-client", sub, clientID) }

// ClientKey names every sign-in for one client.
func ClientKey(clientID string) string { return signInKey("client", clientID) }

// UpstreamUserKey names every sign-in of the upstream user sub at a
// provider and issuer (back-channel logout by sub).
func UpstreamUserKey(provider, issuer, sub string) string {
	return signInKey("upstream-user", provider, issuer, sub)
}

// UpstreamSessionKey names the sign-ins of the upstream session sid at a
// provider and issuer (back-channel logout by sid).
func UpstreamSessionKey(provider, issuer, sid string) string {
	return signInKey("upstream-session", provider, issuer, sid)
}

func signInKey(kind string, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strconv.Itoa(len(p)))
		b.WriteByte(':')
		b.WriteString(p)
	}
	return kind + ":" + tokens.Hash(b.String())
}

// SignInKeys are the keys whose records end the sign-in of id for
// clientID: every key an end of that sign-in may have been written under.
func SignInKeys(id storage.Identity, clientID string) []string {
	keys := []string{UserKey(id.Subject), UserClientKey(id.Subject, clientID), ClientKey(clientID)}
	if up := id.Upstream; up.Issuer != "" {
		if up.Subject != "" {
			keys = append(keys, UpstreamUserKey(id.Provider, up.Issuer, up.Subject))
		}
		if up.SID != "" {
			keys = append(keys, UpstreamSessionKey(id.Provider, up.Issuer, up.SID))
		}
	}
	return keys
}

// EndSignIns records that the sign-ins keys name end now: a grant made
// later from one of them, at or before now, is refused (SignInEnded).
func (r *Revoker) EndSignIns(ctx context.Context, keys []string) error {
	now := r.opt.Now()
	return r.opt.Store.EndSignIns(ctx, keys, now, now.Add(EndedSignInsKept))
}

// EndSession records that every sign-in of the upstream session key names
// (UpstreamSessionKey) has ended, whenever it is made. A provider gives a
// session's sid to no new sign-in, so a sign-in whose ID token still names
// it comes from before the logout, however late it reaches Drawbridge (the
// sign-in's time is that of the callback, which may come after the
// provider ended the session).
func (r *Revoker) EndSession(ctx context.Context, key string) error {
	return r.opt.Store.EndSignIns(ctx, []string{key}, sessionsEndAt, r.opt.Now().Add(EndedSignInsKept))
}

// sessionsEndAt is the end EndSession records: after any sign-in.
var sessionsEndAt = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// SignInEnded reports whether the sign-in of id for clientID, made at
// authTime, has been ended since: a record of one of its keys at or after
// authTime. The same instant counts as ended, so that a tie refuses.
func SignInEnded(ctx context.Context, s storage.Store, id storage.Identity, clientID string, authTime time.Time) (bool, error) {
	ended, err := s.SignInsEndedAt(ctx, SignInKeys(id, clientID))
	if err != nil {
		return false, err
	}
	return !ended.IsZero() && !ended.Before(authTime), nil
}

// filterKeys are the keys of what a RevokeAll filter names. A filter that
// names only an upstream sign-in gives none: its keys need the provider
// and issuer, which the back-channel logout, the one to end those, knows.
func filterKeys(f storage.GrantFilter) []string {
	switch {
	case f.Subject != "" && f.ClientID != "":
		return []string{UserClientKey(f.Subject, f.ClientID)}
	case f.Subject != "":
		return []string{UserKey(f.Subject)}
	case f.ClientID != "":
		return []string{ClientKey(f.ClientID)}
	}
	return nil
}
