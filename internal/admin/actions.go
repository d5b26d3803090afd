package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/audit"
	"github.com/drawbridge-mcp/drawbridge/internal/revoke"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
)

// The actions below are what an administrator can do, whichever way they
// ask: the JSON API (a bearer token) and the web console (a browser
// session) both call them, so the two cannot drift apart. Each one that
// changes something records who did it in the audit trail.

// Actor is who asks for an action, for the audit trail: Subject is the
// administrator, ClientID the client they used (the console's, the
// command line's), Remote and RequestID their address and request.
type Actor = revoke.Actor

// IsAdmin is the one rule for who administers Drawbridge: a configured
// subject, or a member of a configured group (roles arrive as groups).
func (a *API) IsAdmin(subject string, groups []string) bool {
	if slices.Contains(a.opt.Users, subject) {
		return true
	}
	for _, g := range groups {
		if slices.Contains(a.opt.Groups, g) {
			return true
		}
	}
	return false
}

// SetClientDisabled disables or enables a stored client. Disabling revokes
// the client's grants at once; it returns how many.
func (a *API) SetClientDisabled(ctx context.Context, who Actor, id string, disabled bool) (int, error) {
	err := a.opt.Store.UpdateClient(ctx, id, func(cl storage.Client) (storage.Client, error) {
		cl.Disabled = disabled
		return cl, nil
	})
	if err != nil {
		return 0, err
	}
	if !disabled {
		a.record(who, "client_enabled", id)
		return 0, nil
	}
	n, err := a.RevokeGrants(ctx, who, storage.GrantFilter{ClientID: id}, "client_disabled")
	if err != nil {
		return 0, err
	}
	a.record(who, "client_disabled", id)
	return n, nil
}

// DeleteClient revokes a stored client's grants and removes it.
func (a *API) DeleteClient(ctx context.Context, who Actor, id string) (int, error) {
	if _, err := a.opt.Store.GetClient(ctx, id); err != nil {
		return 0, err
	}
	n, err := a.RevokeGrants(ctx, who, storage.GrantFilter{ClientID: id}, "client_deleted")
	if err != nil {
		return 0, err
	}
	if err := a.opt.Store.DeleteClient(ctx, id); err != nil {
		return 0, err
	}
	a.record(who, "client_deleted", id)
	return n, nil
}

// RevokeGrant revokes one grant (ErrNotFound if there is none).
func (a *API) RevokeGrant(ctx context.Context, who Actor, id string) error {
	if err := a.opt.Revoker.Revoke(ctx, id, revoke.ReasonByAdmin, who); err != nil {
		return err
	}
	a.record(who, "grant_revoked", id)
	return nil
}

// RevokeGrants revokes every live grant the filter selects and returns
// how many. An empty filter is refused: it would sign everyone out.
func (a *API) RevokeGrants(ctx context.Context, who Actor, f storage.GrantFilter, reason string) (int, error) {
	if f.Subject == "" && f.ClientID == "" {
		return 0, errors.New("admin: name a user, a client, or both")
	}
	n, err := a.opt.Revoker.RevokeAll(ctx, storage.GrantFilter{Subject: f.Subject, ClientID: f.ClientID}, reason, who)
	if err != nil {
		return 0, err
	}
	if reason == revoke.ReasonByAdmin {
		a.record(who, "grants_revoked", f.Subject+" "+f.ClientID)
	}
	return n, nil
}

// revokeAll revokes the grants gs (found by the caller) for reason and
// returns how many are now revoked; one deleted meanwhile is skipped.
func (a *API) revokeAll(ctx context.Context, who Actor, gs []storage.Grant, reason string) (int, error) {
	n := 0
	for _, g := range gs {
		err := a.opt.Revoker.Revoke(ctx, g.ID, reason, who)
		switch {
		case errors.Is(err, storage.ErrNotFound):
		case err != nil:
			return n, err
		default:
			n++
		}
	}
	return n, nil
}

// WithdrawConsent deletes a user's consent for a client (if there is one)
// and revokes the grants it led to: the client must ask the user again.
// who may be the user themself (reason "revoked_by_user") or an
// administrator ("consent_revoked").
func (a *API) WithdrawConsent(ctx context.Context, who Actor, user, client, reason string) (int, error) {
	if user == "" || client == "" {
		return 0, errors.New("admin: user and client are required")
	}
	err := a.opt.Store.DeleteConsent(ctx, user, client)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return 0, err
	}
	n, err := a.RevokeGrants(ctx, who, storage.GrantFilter{Subject: user, ClientID: client}, reason)
	if err != nil {
		return 0, err
	}
	if a.opt.Record != nil {
		a.opt.Record.Record(audit.Event{Time: a.opt.Now(), Type: audit.ConsentRevoked, Subject: user,
			ClientID: client, Reason: reason, Remote: who.Remote})
	}
	if who.Subject != user {
		a.record(who, "consent_revoked", user+" "+client)
	}
	return n, nil
}

// RotateKeys makes a new signing key current and returns its id.
func (a *API) RotateKeys(ctx context.Context, who Actor) (string, error) {
	kid, err := a.opt.Keys.Rotate(ctx)
	if err != nil {
		return "", err
	}
	a.record(who, "key_rotated", kid)
	return kid, nil
}

// CurrentKey is the id of the key that signs new tokens.
func (a *API) CurrentKey() string { return a.opt.Keys.Current() }

// BackendStatus is an MCP server and the result of probing it.
type BackendStatus struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Resource string `json:"resource"`
	Upstream string `json:"upstream,omitempty"`
	// Health is ok, unreachable, or unknown (no probe: a stdio server);
	// for a composed server ok when every member it has seen is up,
	// degraded when some are down, unreachable when all are.
	Health string `json:"health"`
	// Members are a composed server's members and their state.
	Members []MemberStatus `json:"members,omitempty"`
}

// ErrNotReloadable: the server has no OpenAPI document to read again.
var ErrNotReloadable = errors.New("the server has no OpenAPI document to reload")

// ErrReloadFailed wraps why a document did not reload; the tools already
// served stay.
var ErrReloadFailed = errors.New("reload failed; the tools already served stay")

// ReloadServer reads a server's OpenAPI documents again on this replica,
// as SIGHUP does for all of them (docs/openapi.md), and audits it with
// the administrator, failed or not.
func (a *API) ReloadServer(ctx context.Context, who Actor, name string) error {
	i := slices.IndexFunc(a.opt.Backends, func(b Backend) bool { return b.Name == name })
	if i < 0 {
		return storage.ErrNotFound
	}
	reload := a.opt.Backends[i].Reload
	if reload == nil {
		return fmt.Errorf("%w: %s", ErrNotReloadable, name)
	}
	if err := reload(ctx); err != nil {
		a.record(who, "server_reload_failed", name)
		return fmt.Errorf("%w: %w", ErrReloadFailed, err)
	}
	a.record(who, "server_reloaded", name)
	return nil
}

// Backends probes every server (3 s each, all at once).
func (a *API) Backends(ctx context.Context) []BackendStatus {
	out := make([]BackendStatus, len(a.opt.Backends))
	done := make(chan struct{})
	for i, s := range a.opt.Backends {
		out[i] = BackendStatus{Name: s.Name, Path: s.Path, Resource: s.Resource, Upstream: s.Upstream, Health: "unknown"}
		if s.Members != nil {
			out[i].Members = s.Members()
			out[i].Health = composedHealth(out[i].Members)
		}
		go func() {
			defer func() { done <- struct{}{} }()
			if s.Health == nil {
				return
			}
			pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			out[i].Health = "ok"
			if err := s.Health(pctx); err != nil {
				out[i].Health = "unreachable"
			}
		}()
	}
	for range a.opt.Backends {
		<-done
	}
	return out
}

// composedHealth sums up a composed server's members: the server answers
// (with what the members that are up give) unless all of them are down.
func composedHealth(members []MemberStatus) string {
	up, down := 0, 0
	for _, m := range members {
		switch m.State {
		case "up":
			up++
		case "down":
			down++
		}
	}
	switch {
	case down > 0 && up == 0:
		return "unreachable"
	case down > 0:
		return "degraded"
	case up > 0:
		return "ok"
	}
	return "unknown"
}

// Audit lists audit records.
func (a *API) Audit(ctx context.Context, f storage.AuditFilter) ([]storage.AuditRecord, error) {
	return a.opt.Store.ListAudit(ctx, f)
}

// VerifyAudit checks the audit trail's hash chain.
func (a *API) VerifyAudit(ctx context.Context) (audit.Report, error) {
	return audit.Verify(ctx, a.opt.Store, a.opt.SealKeys)
}

// record notes an administrator's action in the audit trail.
func (a *API) record(who Actor, action, target string) {
	if a.opt.Record == nil {
		return
	}
	a.opt.Record.Record(audit.Event{Time: a.opt.Now(), Type: "admin." + action, Subject: who.Subject,
		ClientID: who.ClientID, Name: target, Remote: who.Remote, RequestID: who.RequestID})
}
