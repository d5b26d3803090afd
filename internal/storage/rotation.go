package storage

import "time"

// RotationStep is what presenting a refresh token does (see Rotation).
type RotationStep int

const (
	// RotateCurrent: the token is current. It is marked rotated and New
	// becomes its successor.
	RotateCurrent RotationStep = iota + 1
	// RotateGraceRetry: the token was rotated less than Grace ago and its
	// successor was never used, so the response carrying the successor was
	// probably lost. The successor is retired, New is stored instead, and the
	// token keeps no successor: the retry is spent, and presenting the token
	// again is reuse.
	RotateGraceRetry
	// RotateReuse: the token was replayed. The grant is revoked, and the
	// rotation returns ErrReused.
	RotateReuse
	// RotateUnknown: no such token, or it has expired. Nothing changes; the
	// rotation returns ErrNotFound.
	RotateUnknown
	// RotateRevoked: the token's grant is revoked or has expired. Nothing
	// changes; the rotation returns ErrRevoked.
	RotateRevoked
	// RotateRefused: Rotation.Check refused the grant. Nothing changes; the
	// rotation returns Check's error unchanged.
	RotateRefused
	// RotateKeep: Rotation.Inspect, and the token is current. It stays
	// current (New is not stored); only the grant's LastUsedAt changes.
	RotateKeep
)

// Decide is the one decision of a refresh-token rotation, for every backend:
// given what the store holds, read under the lock that serialises rotations
// of the token, it says which step to take. old is the token stored under
// r.OldHash (nil when there is none), g its grant, and successor the token
// old.ReplacedBy names (nil when it names none or that token is gone). With
// RotateRefused it also returns the error of r.Check, which it calls only
// for a token that could be exchanged (current, or a grace retry): a replay
// revokes the grant whoever presents it.
//
// The grace period serves a client that lost one response, so it is granted
// once per token (OAuth 2.1 §4.3.1 and RFC 9700 §4.14.2 want a rotated
// token's reuse to end the grant; the grace is the narrow exception
// docs/clients.md promises, not a window in which the old token works like a
// current one).
func (r Rotation) Decide(old *RefreshToken, g Grant, successor *RefreshToken) (RotationStep, error) {
	switch {
	case old == nil || !old.ExpiresAt.After(r.Now):
		return RotateUnknown, nil
	case g.Revoked() || ended(g.ExpiresAt, r.Now):
		return RotateRevoked, nil
	}
	step := r.exchange(*old, successor)
	if r.Inspect {
		step = inspected(step)
	}
	if exchangeable(step) && r.Check != nil {
		if err := r.Check(g); err != nil {
			return RotateRefused, err
		}
	}
	return step, nil
}

// exchange decides between a rotation, a grace retry and reuse for a live
// token of a live grant.
func (r Rotation) exchange(old RefreshToken, successor *RefreshToken) RotationStep {
	switch {
	case old.RotatedAt.IsZero():
		return RotateCurrent
	case old.ReplacedBy == "" || successor == nil || successor.Hash != old.ReplacedBy:
		// Its retry was spent, or its successor is gone.
		return RotateReuse
	case !successor.RotatedAt.IsZero():
		// The successor was used: the response was not lost.
		return RotateReuse
	case r.Now.Sub(old.RotatedAt) >= r.Grace:
		// The window runs from the first rotation; retries never stretch it.
		return RotateReuse
	}
	return RotateGraceRetry
}

// inspected is the step of an inspection (Rotation.Inspect) where the
// rotation would take step. A current token is kept; a replayed one is reuse
// exactly as in a rotation. A token in its grace window is not current, so
// it proves nothing, but nor is it reuse: the client that lost a refresh
// response may still make its one retry at the refresh grant, so nothing
// changes (RotateUnknown).
func inspected(step RotationStep) RotationStep {
	switch step {
	case RotateCurrent:
		return RotateKeep
	case RotateGraceRetry:
		return RotateUnknown
	}
	return step
}

// exchangeable reports whether the token of step may be used, so that
// Rotation.Check is asked: a replay revokes the grant whoever presents it.
func exchangeable(step RotationStep) bool {
	return step == RotateCurrent || step == RotateGraceRetry || step == RotateKeep
}

// ended reports whether an optional bound (zero: none) has passed at now.
func ended(bound, now time.Time) bool { return !bound.IsZero() && !bound.After(now) }
