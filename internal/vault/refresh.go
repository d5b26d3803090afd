package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drawbridge-mcp/drawbridge/internal/oauthclient"
	"github.com/drawbridge-mcp/drawbridge/internal/storage"
	"github.com/drawbridge-mcp/drawbridge/internal/tokens"
)

// envelope is what is sealed: the tokens, and the lease of the replica
// refreshing them, if any.
type envelope struct {
	Tokens
	LeaseOwner string    `json:"lease_owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
}

func (e envelope) leased(now time.Time) bool { return e.LeaseOwner != "" && now.Before(e.LeaseUntil) }

// refreshLease is how long one replica may take to refresh a session
// before another may; pollEvery is how often the others look for its
// result meanwhile.
const (
	refreshLease = 30 * time.Second
	pollEvery    = 50 * time.Millisecond
	maxAttempts  = 5
)

var (
	errChanged     = errors.New("vault: the session changed meanwhile")
	errLeaseEnded  = errors.New("vault: the lease ended without a refresh")
	errLeaseExpiry = errors.New("vault: another replica's refresh of the upstream tokens did not finish")
)

// load reads the grant's session and refreshes it at the provider if it is
// still not fresh. Across replicas, the one that takes the session's lease
// (written into the session by compare-and-swap) refreshes, and the others
// wait for its result: two replicas never present the same refresh token,
// which a provider that rotates refresh tokens would refuse, and that
// refusal would wrongly end the grant.
func (v *Vault) load(ctx context.Context, grantID, stale string) (Tokens, error) {
	sid, err := v.sessionOf(ctx, grantID)
	if err != nil {
		return Tokens{}, err
	}
	for range maxAttempts {
		row, e, err := v.read(ctx, grantID, sid)
		if err != nil {
			return Tokens{}, err
		}
		t := e.Tokens
		switch {
		case t.AccessToken != stale && v.fresh(t):
			v.remember(grantID, sid, t)
			return t, nil
		case t.RefreshToken == "" || v.opt.Refresher == nil:
			if t.AccessToken != stale && v.unexpired(t) {
				return t, nil // usable, if not for long: nothing can renew it
			}
			return Tokens{}, v.end(ctx, grantID, ReasonUpstreamExpired)
		case e.leased(v.opt.Now()):
			got, err := v.await(ctx, grantID, sid, t.RefreshToken)
			if errors.Is(err, errLeaseEnded) {
				continue
			}
			return v.orCurrent(got, err, t, stale)
		}
		owner, leased, err := v.acquire(ctx, sid, row, e)
		if errors.Is(err, errChanged) {
			continue
		}
		if err != nil {
			return Tokens{}, err
		}
		return v.refreshLeased(ctx, grantID, sid, owner, leased, t, stale)
	}
	return Tokens{}, errors.New("vault: the upstream session kept changing")
}

// orCurrent falls back to the current token, while it lasts, when waiting
// for another replica failed.
func (v *Vault) orCurrent(got Tokens, err error, t Tokens, stale string) (Tokens, error) {
	if err != nil && !errors.Is(err, ErrSignInAgain) && t.AccessToken != stale && v.unexpired(t) {
		return t, nil
	}
	return got, err
}

// acquire writes this replica's lease into the session, unless the session
// changed since read.
func (v *Vault) acquire(ctx context.Context, sid string, read storage.UpstreamSession, e envelope) (string, storage.UpstreamSession, error) {
	owner := tokens.NewID()
	e.LeaseOwner, e.LeaseUntil = owner, v.opt.Now().Add(refreshLease)
	leased, err := v.swap(ctx, sid, read, e)
	return owner, leased, err
}

// refreshLeased refreshes at the provider while holding the lease.
func (v *Vault) refreshLeased(ctx context.Context, grantID, sid, owner string, leased storage.UpstreamSession, t Tokens, stale string) (Tokens, error) {
	tok, err := v.opt.Refresher.Refresh(ctx, t.RefreshToken)
	switch {
	case oauthclient.NeedsSignIn(err):
		v.opt.Log.Info("upstream refresh refused; ending the grant", "grant", grantID, "err", err)
		return Tokens{}, v.end(ctx, grantID, ReasonUpstreamRevoked)
	case err != nil:
		// Give the lease back so that the next request (here or on another
		// replica) can try at once.
		_, _ = v.swap(ctx, sid, leased, envelope{Tokens: t})
		v.forget(grantID)
		if t.AccessToken != stale && v.unexpired(t) {
			v.opt.Log.Warn("upstream refresh failed; using the current token while it lasts", "grant", grantID, "err", err)
			return t, nil
		}
		return Tokens{}, fmt.Errorf("vault: refreshing upstream tokens: %w", err)
	}
	next := Tokens{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken, IDToken: t.IDToken, Expiry: tok.Expiry}
	if next.RefreshToken == "" {
		next.RefreshToken = t.RefreshToken // RFC 6749 §6: the old one stays valid
	}
	if idt, _ := tok.Extra("id_token").(string); idt != "" {
		next.IDToken = idt
	}
	switch _, err := v.swap(ctx, sid, leased, envelope{Tokens: next}); {
	case errors.Is(err, errChanged):
		v.forget(grantID) // the lease ran out and another replica refreshed: its tokens are stored
	case err != nil:
		return Tokens{}, err
	default:
		v.remember(grantID, sid, next)
	}
	return next, nil
}

// await waits for the replica holding the lease: its refreshed tokens, or
// errLeaseEnded when it gave the lease back or let it run out.
func (v *Vault) await(ctx context.Context, grantID, sid, refreshToken string) (Tokens, error) {
	deadline := time.NewTimer(refreshLease)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return Tokens{}, ctx.Err()
		case <-deadline.C:
			return Tokens{}, errLeaseExpiry
		case <-tick.C:
		}
		_, e, err := v.read(ctx, grantID, sid)
		switch {
		case err != nil:
			return Tokens{}, err
		case e.RefreshToken != refreshToken:
			v.remember(grantID, sid, e.Tokens)
			return e.Tokens, nil
		case !e.leased(v.opt.Now()):
			return Tokens{}, errLeaseEnded
		}
	}
}

// read loads and opens the session.
func (v *Vault) read(ctx context.Context, grantID, sid string) (storage.UpstreamSession, envelope, error) {
	row, err := v.opt.Store.GetUpstreamSession(ctx, sid, v.opt.Now())
	if errors.Is(err, storage.ErrNotFound) {
		v.forget(grantID)
		return row, envelope{}, v.end(ctx, grantID, ReasonUpstreamExpired)
	}
	if err != nil {
		return row, envelope{}, fmt.Errorf("vault: %w", err)
	}
	e, err := v.open(sid, row.Sealed)
	return row, e, err
}

// swap replaces the session's content with e if it is still what was read
// (errChanged otherwise), and returns the row as written.
func (v *Vault) swap(ctx context.Context, sid string, read storage.UpstreamSession, e envelope) (storage.UpstreamSession, error) {
	sealed, err := v.seal(sid, e)
	if err != nil {
		return read, err
	}
	var written storage.UpstreamSession
	err = v.opt.Store.UpdateUpstreamSession(ctx, sid, v.opt.Now(), func(u storage.UpstreamSession) (storage.UpstreamSession, error) {
		if !bytes.Equal(u.Sealed, read.Sealed) {
			return u, errChanged
		}
		u.Sealed, u.UpdatedAt = sealed, v.opt.Now()
		written = u
		return u, nil
	})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return read, ErrSignInAgain // revoked meanwhile
	case err != nil && !errors.Is(err, errChanged):
		return read, fmt.Errorf("vault: storing upstream tokens: %w", err)
	}
	return written, err
}
