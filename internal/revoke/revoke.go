package revoke

import (
	"context"
	"errors"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// ReasonByAdmin is the reason of a grant an administrator revoked by name
// or by user and client (admin API, console, command line).
const ReasonByAdmin = "revoked_by_admin"

// ErrNoFilter: RevokeAll was given a filter that names nothing, which
// would revoke every grant, signing everyone out.
var ErrNoFilter = errors.New("revoke: name a user, a client or an upstream sign-in")

// Actor is who or what revoked, for the audit record.
type Actor struct {
	// Subject is the person who revoked: an administrator (the command
	// line's is "cli:<operating-system user>") or the user themself.
	// Empty when Drawbridge revoked on its own account or a client did:
	// the reason says which.
	Subject string
	// ClientID is the client the person used (the console, the command
	// line). The grant.revoked record does not carry it: its client_id is
	// the grant's client.
	ClientID string
	// Remote and RequestID name the HTTP request that caused the
	// revocation, if one did.
	Remote    string
	RequestID string
}

// Options configures a Revoker.
type Options struct {
	Store storage.Store
	// List is this replica's revocation list; nil for the command line,
	// which serves no tokens.
	List *tokens.RevocationList
	// Audit receives the grant.revoked records; nil records none.
	Audit audit.Emitter
	// Now stamps the revocation and its record; default time.Now.
	Now func() time.Time
}

// Revoker revokes grants in the store, in this replica's revocation list
// and in the audit trail. It is safe for concurrent use.
type Revoker struct {
	opt Options
}

// New makes a Revoker.
func New(o Options) *Revoker {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Revoker{opt: o}
}

// Revoke revokes the grant id for reason. A grant that does not exist
// gives an error that is storage.ErrNotFound. A grant already revoked is
// not an error: the store keeps its first time and reason, and it is not
// recorded again: of two revocations at once, only the one the store says
// revoked it is recorded.
//
// The revocation list is told before the store is asked, so that when the
// store fails (the error is returned and nothing is recorded) this replica
// still refuses the grant's access tokens: a revocation fails closed here,
// and the caller retries to make it hold everywhere.
func (r *Revoker) Revoke(ctx context.Context, id, reason string, by Actor) error {
	_, err := r.revoke(ctx, id, reason, by)
	return err
}

// RevokeAll revokes every live grant f selects and returns how many it
// revoked. A filter that names no user, client or upstream sign-in is
// refused with ErrNoFilter. Grants that are revoked or deleted meanwhile
// are skipped; on an error, the grants before it stay revoked.
//
// First it records that the sign-ins of what f names (the user, the pair,
// the client) end now (EndSignIns), so that a sign-in made before, for an
// authorization still in progress, gives no grant after: the token
// endpoint, once it has stored a code's grant, looks for that record and
// revokes the grant (SignInEnded). Written before the grants are listed,
// the record is seen by every such look that comes after, and a grant
// stored before the record was written is in the list.
//
// Then the unredeemed authorization codes f selects are deleted, so that
// a code issued before the revocation cannot make a new grant after it.
// The order matters: a redemption that consumed its code before the
// deletion reached it has stored its grant by the time DeleteAuthCodes
// returns (storage.Store.DeleteAuthCodes), and the list made next, in a
// statement of its own, includes that grant; a redemption that comes later
// finds no code. Listing first would miss a grant stored in between.
func (r *Revoker) RevokeAll(ctx context.Context, f storage.GrantFilter, reason string, by Actor) (int, error) {
	if f.Subject == "" && f.ClientID == "" && f.UpstreamSubject == "" && f.UpstreamSID == "" {
		return 0, ErrNoFilter
	}
	if err := r.EndSignIns(ctx, filterKeys(f)); err != nil {
		return 0, err
	}
	codes := storage.CodeFilter{Subject: f.Subject, ClientID: f.ClientID, UpstreamSubject: f.UpstreamSubject, UpstreamSID: f.UpstreamSID}
	if _, err := r.opt.Store.DeleteAuthCodes(ctx, codes, r.opt.Now()); err != nil {
		return 0, err
	}
	f.IncludeRevoked = false
	gs, err := r.opt.Store.ListGrants(ctx, f)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, g := range gs {
		done, err := r.revoke(ctx, g.ID, reason, by)
		switch {
		case errors.Is(err, storage.ErrNotFound):
		case err != nil:
			return n, err
		case done:
			n++
		}
	}
	return n, nil
}

// Finish completes a revocation that the store made itself, inside the
// operation that found its reason: storage.Rotation revokes the grant of a
// reused refresh token in the transaction that detects the reuse. g is
// the grant as the store returned it, revoked; it goes into this
// replica's list and the audit trail as Revoke would put it.
func (r *Revoker) Finish(g storage.Grant, by Actor) {
	at := g.RevokedAt
	if at.IsZero() {
		at = r.opt.Now()
	}
	r.list(g.ID, at)
	r.record(g, g.RevokeReason, at, by)
}

// revoke does Revoke and reports whether it revoked the grant now.
func (r *Revoker) revoke(ctx context.Context, id, reason string, by Actor) (bool, error) {
	g, err := r.opt.Store.GetGrant(ctx, id)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return false, err
	case err != nil:
		r.list(id, r.opt.Now())
		return false, err
	case g.Revoked():
		r.list(id, g.RevokedAt)
		return false, nil
	}
	now := r.opt.Now()
	r.list(id, now)
	revoked, err := r.opt.Store.RevokeGrant(ctx, id, reason, now)
	if err != nil || !revoked { // another revocation won the race and records itself
		return false, err
	}
	g.RevokedAt, g.RevokeReason = now, reason
	r.record(g, reason, now, by)
	return true, nil
}

func (r *Revoker) list(id string, at time.Time) {
	if r.opt.List != nil {
		r.opt.List.Add(id, at)
	}
}

// record writes the one audit record of a revocation, stamped with the
// time the store has. It is queued after the store has committed: an audit
// trail that cannot take it does not undo the revocation (the recorder
// retries, and counts what it loses).
func (r *Revoker) record(g storage.Grant, reason string, at time.Time, by Actor) {
	if r.opt.Audit == nil {
		return
	}
	r.opt.Audit.Record(audit.Event{Time: at, Type: audit.GrantRevoked, Subject: g.Identity.Subject,
		ClientID: g.ClientID, GrantID: g.ID, Reason: reason, Actor: by.Subject, Remote: by.Remote, RequestID: by.RequestID})
}
