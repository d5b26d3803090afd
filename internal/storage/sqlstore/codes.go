package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

var authCodeCols = columns{"hash", "client_id", "redirect_uri", "code_challenge", "resource", "scopes",
	"identity", "auth_time", "grant_id", "upstream_session_id", "created_at", "expires_at", "used_at", "dpop_jkt"}

func (s *Store) authCodeArgs(c storage.AuthCode) []any {
	return []any{c.Hash, c.ClientID, c.RedirectURI, c.CodeChallenge, c.Resource, s.e.List(c.Scopes),
		identity(c.Identity), Stamp(c.AuthTime), c.GrantID, c.UpstreamSessionID, Stamp(c.CreatedAt),
		Stamp(c.ExpiresAt), Stamp(c.UsedAt), c.DPoPJKT}
}

func (s *Store) scanAuthCode(r Row) (storage.AuthCode, error) {
	var c storage.AuthCode
	err := r.Scan(&c.Hash, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &c.Resource, s.e.ScanList(&c.Scopes),
		identityCol{&c.Identity}, timeCol{&c.AuthTime}, &c.GrantID, &c.UpstreamSessionID, timeCol{&c.CreatedAt},
		timeCol{&c.ExpiresAt}, timeCol{&c.UsedAt}, &c.DPoPJKT)
	return c, err
}

// CreateAuthCode stores a newly issued code by its hash.
func (s *Store) CreateAuthCode(ctx context.Context, c storage.AuthCode) error {
	if err := inserted(s.e.Write.Exec(ctx, authCodeCols.insert("auth_codes"), s.authCodeArgs(c)...)); err != nil {
		return s.errorf("create auth code for grant %q: %w", c.GrantID, err)
	}
	return nil
}

// errCodeAppeared: the code was missing when the UPDATE looked and there,
// unused, when the SELECT did; an insert landed in between (PostgreSQL's
// statements each see the latest commits), so look again. Codes are
// random, so this takes a caller racing its own CreateAuthCode; the third
// look reports it as an error rather than loop.
var errCodeAppeared = errors.New("code created while being consumed")

// RedeemAuthCode consumes a live code and creates its grant in one
// transaction (storage.Redemption). The winner is decided by one
// conditional UPDATE, which each engine runs atomically (PostgreSQL locks
// the row and re-checks "used_at IS NULL" against its latest version
// before writing; SQLite runs one writer at a time), so of any number of
// racing callers, on any number of replicas, exactly one changes the row;
// a loser waits for the winner's commit and reads the code as the winner
// left it. A refusal by Issue is reported with a nil error from the
// transaction, so that the code's use is committed.
func (s *Store) RedeemAuthCode(ctx context.Context, r storage.Redemption) (storage.AuthCode, error) {
	var c storage.AuthCode
	var refused error
	err := s.inTx(ctx, func(q Querier) error {
		var err error
		if c, err = s.consumeAuthCode(ctx, q, r.Hash, r.Now); err != nil {
			return err
		}
		g, rt, err := r.Issue(c)
		if refused = err; err != nil {
			return nil
		}
		if g.ID != c.GrantID {
			return fmt.Errorf("the grant %q is not the code's, %q", g.ID, c.GrantID)
		}
		return s.createGrant(ctx, q, g, rt)
	})
	switch {
	case errors.Is(err, storage.ErrAlreadyUsed):
		return c, s.errorf("redeem auth code: %w", err)
	case err != nil:
		return storage.AuthCode{}, s.errorf("redeem auth code: %w", err)
	}
	return c, refused
}

// consumeAuthCode marks the code used, in the caller's transaction.
func (s *Store) consumeAuthCode(ctx context.Context, q Querier, hash string, now time.Time) (storage.AuthCode, error) {
	for try := 1; ; try++ {
		c, err := s.tryConsumeAuthCode(ctx, q, hash, now)
		if !errors.Is(err, errCodeAppeared) || try == 3 {
			return c, err
		}
	}
}

func (s *Store) tryConsumeAuthCode(ctx context.Context, q Querier, hash string, now time.Time) (storage.AuthCode, error) {
	// At, not Stamp: even a zero now must leave the code marked used.
	row := q.QueryRow(ctx, `UPDATE auth_codes SET used_at = $2
		WHERE hash = $1 AND expires_at > $2 AND used_at IS NULL
		RETURNING `+authCodeCols.names(), hash, At(now))
	c, err := s.scanAuthCode(row)
	if err == nil {
		c.UsedAt = utc(now) // as the caller gave it, even zero
		return c, nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return storage.AuthCode{}, err
	}
	// Unknown, expired, or used before: which one decides the answer.
	row = q.QueryRow(ctx, authCodeCols.selectFrom("auth_codes")+
		` WHERE hash = $1 AND expires_at > $2`, hash, At(now))
	if c, err = s.scanAuthCode(row); err != nil {
		return storage.AuthCode{}, err
	}
	if c.UsedAt.IsZero() {
		return storage.AuthCode{}, errCodeAppeared
	}
	return c, fmt.Errorf("the code of grant %q: %w", c.GrantID, storage.ErrAlreadyUsed)
}

// DeleteAuthCodes deletes the live codes f selects in one statement. On
// PostgreSQL (READ COMMITTED) the DELETE waits for the row lock of a
// redemption that has consumed a code and not yet committed, then
// re-checks "used_at IS NULL" against the committed row and leaves it: the
// redemption's grant is committed before this returns, so the grants the
// caller lists next, in a statement of their own, include it. A
// redemption that comes second waits for this DELETE's lock and then
// finds no code. SQLite runs one write transaction at a time, so each
// sees the other whole. Codes inserted while the DELETE runs are not
// among those it sees: it covers codes issued before it, not after.
func (s *Store) DeleteAuthCodes(ctx context.Context, f storage.CodeFilter, now time.Time) (int, error) {
	if f.Empty() {
		return 0, nil // an empty filter would select every code
	}
	query, args := codeDeleteQuery(f, now)
	n, err := s.e.Write.Exec(ctx, query, args...)
	if err != nil {
		return 0, s.errorf("delete auth codes: %w", err)
	}
	return int(n), nil
}

// codeDeleteQuery is the statement DeleteAuthCodes runs for f. The
// identity is JSON; "->" and "->>" read it the same way in both engines
// (PostgreSQL's jsonb, SQLite 3.38 and later on text). Codes live for
// seconds and are collected once expired, so the scan is short.
func codeDeleteQuery(f storage.CodeFilter, now time.Time) (string, []any) {
	args := []any{At(now)}
	where := []string{"used_at IS NULL", "expires_at > $1"}
	add := func(expr, v string) {
		if v != "" {
			args = append(args, v)
			where = append(where, expr+" = $"+strconv.Itoa(len(args)))
		}
	}
	add("client_id", f.ClientID)
	add("identity ->> 'sub'", f.Subject)
	add("identity ->> 'idp'", f.Provider)
	add("identity -> 'upstream' ->> 'iss'", f.UpstreamIssuer)
	add("identity -> 'upstream' ->> 'sub'", f.UpstreamSubject)
	add("identity -> 'upstream' ->> 'sid'", f.UpstreamSID)
	return "DELETE FROM auth_codes WHERE " + strings.Join(where, " AND "), args
}
